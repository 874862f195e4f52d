# Run in: Exchange Management Shell, on your Exchange server (2016, 2019 or SE).
#
# MoxiEngage signs in with basic authentication (name and password over HTTPS) on Exchange
# Web Services and Autodiscover (guide step 3.4). Look first; change only what is off.

Get-WebServicesVirtualDirectory | Format-List Server,Name,BasicAuthentication,InternalUrl,ExternalUrl
Get-AutodiscoverVirtualDirectory | Format-List Server,Name,BasicAuthentication

# Turn basic authentication on for both, on every server listed above.
Get-WebServicesVirtualDirectory | Set-WebServicesVirtualDirectory -BasicAuthentication $true
Get-AutodiscoverVirtualDirectory | Set-AutodiscoverVirtualDirectory -BasicAuthentication $true

# The web server may need a restart to pick this up; do it at a quiet time:
# iisreset /noforce
