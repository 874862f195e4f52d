# Run in: Exchange Management Shell, on your Exchange server (2016, 2019 or SE).
#
# Confirms that both the service account and the test user have mailboxes, and that Exchange
# accepts mail for the service account's domain (guide steps 1.3 and 3.1).

Get-Mailbox -Identity {{service_account}} | Format-List DisplayName,PrimarySmtpAddress,RecipientTypeDetails
Get-Mailbox -Identity {{test_user}} | Format-List DisplayName,PrimarySmtpAddress,RecipientTypeDetails
Get-AcceptedDomain | Where-Object { $_.DomainName -eq {{account_domain}} }
