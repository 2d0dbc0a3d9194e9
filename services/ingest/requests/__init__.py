"""Review requests resolution asks for, sent through the platform (Amazon, Trustpilot) or handed back as manual."""
