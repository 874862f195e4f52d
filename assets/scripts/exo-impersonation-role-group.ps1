# Run in: Exchange Online PowerShell (Windows PowerShell with the ExchangeOnlineManagement module).
# First time only: Install-Module ExchangeOnlineManagement -Scope CurrentUser
#
# Creates a role group holding the ApplicationImpersonation role, with the MoxiEngage service
# account as its only member (guide steps 2.4 to 2.9).
# Warning (2026): Microsoft retired this role in Exchange Online in 2025. Expect New-RoleGroup
# to be refused; if it is, ask MoxiWorks about their Microsoft Graph setup instead.

Connect-ExchangeOnline

New-RoleGroup -Name 'MoxiEngage Impersonation' -Description 'MoxiEngage service account' -Roles ApplicationImpersonation -Members {{service_account}}

# Shows who holds the role now; the service account should be in the list.
Get-ManagementRoleAssignment -Role ApplicationImpersonation -GetEffectiveUsers
