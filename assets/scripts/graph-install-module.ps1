# Run in: Microsoft Graph PowerShell. This first part runs in plain Windows PowerShell,
# opened with "Run as administrator"; it installs the Graph commands.
#
# Installs the part of Microsoft Graph PowerShell that manages users (guide steps 3.1 to 3.6).
# It takes the place of the retired AzureAD module. If PowerShell asks about the NuGet
# provider, answer Y; if it warns that PSGallery is untrusted, answer A to go on.

Install-Module Microsoft.Graph.Users -Scope CurrentUser
