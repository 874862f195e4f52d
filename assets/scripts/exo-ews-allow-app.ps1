# Run in: Exchange Online PowerShell (Windows PowerShell with the ExchangeOnlineManagement module).
# First time only: Install-Module ExchangeOnlineManagement -Scope CurrentUser
#
# Since 2026-10-01 Exchange Online refuses EWS unless EWS is turned on for the organization and
# the app's client ID is on the EwsAllowedAppIDs list (guide step 4.30). EWS in Exchange Online
# ends for good on 2027-04-01. Changes can take up to 24 hours to apply.

Connect-ExchangeOnline

# 1. Look at the current settings first.
Get-OrganizationConfig | Format-List EwsEnabled,EwsAllowedAppIDs

# 2. Add the MoxiEngage app to the list.
# WARNING: Set-OrganizationConfig -EwsAllowedAppIDs REPLACES the whole list. The lines below
# keep the IDs already there and add ours; check the result in step 3 all the same.
$app = {{client_id}}
$ids = @((Get-OrganizationConfig).EwsAllowedAppIDs -split ',' | ForEach-Object { $_.Trim() } | Where-Object { $_ })
if ($ids -notcontains $app) { $ids += $app }
Set-OrganizationConfig -EwsEnabled $true -EwsAllowedAppIDs ($ids -join ',')

# 3. EWS must also be allowed for the service account's own mailbox.
Set-CASMailbox -Identity {{service_account}} -EwsEnabled $true

Get-OrganizationConfig | Format-List EwsEnabled,EwsAllowedAppIDs
Get-CASMailbox -Identity {{service_account}} | Format-List PrimarySmtpAddress,EwsEnabled
