# Run in: Windows PowerShell with the Active Directory module (on a domain controller, or a PC
# with the Remote Server Administration Tools).
#
# Stops the service account's password from expiring, then reads the setting back (the guide
# asks for a password that never expires; see step 1.4).

Import-Module ActiveDirectory

$address = {{service_account}}
$user = Get-ADUser -Filter { UserPrincipalName -eq $address -or mail -eq $address }
if (@($user).Count -ne 1) { throw "Expected one Active Directory user with the address $address, found $(@($user).Count)." }
$user | Set-ADUser -PasswordNeverExpires $true

# PasswordNeverExpires should say True.
$user | Get-ADUser -Properties PasswordNeverExpires,PasswordLastSet | Format-List SamAccountName,UserPrincipalName,PasswordNeverExpires,PasswordLastSet
