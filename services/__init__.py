"""The four Tsunagi services: intake, case, referral, notify."""
