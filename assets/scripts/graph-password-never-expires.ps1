# Run in: Microsoft Graph PowerShell (Windows PowerShell after graph-install-module).
#
# Signs in, stops the service account's password from expiring, then reads the setting back
# (guide steps 3.7 to 3.12). Needs the Global Administrator or Password Administrator role.
# Replaces the retired Connect-AzureAD / Set-AzureADUser / Get-AzureADUser commands.

Connect-MgGraph -Scopes User.ReadWrite.All

Update-MgUser -UserId {{service_account}} -PasswordPolicies DisablePasswordExpiration

# The last column should say True.
Get-MgUser -UserId {{service_account}} -Property UserPrincipalName,PasswordPolicies |
    Select-Object UserPrincipalName, @{ Name = 'PasswordNeverExpires'; Expression = { $_.PasswordPolicies -contains 'DisablePasswordExpiration' } }
