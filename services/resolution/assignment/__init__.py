"""Assignment of cases to agents by market, language and skill, balanced by load, within working hours."""
