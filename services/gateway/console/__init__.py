"""The web console, served by the gateway at `/`: inbox, review page, case desk, alerts, dashboard.

Choice: server-rendered Jinja2 pages with a little hand-written JavaScript (static/console.js) in
the htmx style (a fragment fetched and swapped in: the inbox polls, the compliance check runs as
one types). Why: every page is built from the same route functions the /v1 API answers with
(services/gateway/routes/), so the console holds no second copy of a rule, a filter or a check;
there is no npm build, nothing from a CDN and nothing to download at run time, so `make run` stays
the only command; and a page renders in one request, readable on a phone without a client-side app.
htmx itself is not vendored because no copy of it was on the build machine: console.js does the
three things the pages need (poll, swap a fragment, post with the CSRF token) in about 80 lines.

Access: a page is allowed when the /v1 route it reads or acts through is, by the one rule table
(services/gateway/people/permissions.py); cases are further scoped to the agent's team markets.

Languages: English and Simplified Chinese by gettext (Babel); the catalogs in i18n/ are compiled
from their .po files when the gateway starts (no .mo to go stale), dates and numbers are
formatted in the user's locale and time zone.
"""
