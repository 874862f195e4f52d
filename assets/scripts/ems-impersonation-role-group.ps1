# Run in: Exchange Management Shell, on your Exchange server (2016, 2019 or SE).
#
# Creates a role group holding the ApplicationImpersonation role, with the MoxiEngage service
# account as a member (guide steps 2.1 to 2.5). Membership matters: the first test has the
# account impersonate itself, so owning the group is not enough.

New-RoleGroup -Name 'MoxiEngage Impersonation' -Description 'MoxiEngage service account' -Roles ApplicationImpersonation -Members {{service_account}}

# Instead of a role group, a direct assignment also works. Use one or the other, not both:
# New-ManagementRoleAssignment -Name 'MoxiEngage Impersonation' -Role ApplicationImpersonation -User {{service_account}}

# Shows who holds the role now; the service account should be in the list.
Get-ManagementRoleAssignment -Role ApplicationImpersonation -GetEffectiveUsers
