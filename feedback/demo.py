"""Demo feedback: the themes admins curate, debriefs of the engagements held in
the last eighteen months with the customers' own words, the actions they
started, and the customers' answers to the survey sent after each meeting.

The volume is bulk-created from phrase banks drawn with the demo's one seeded
generator, so the same scale and seed give the same words. The demo logins'
own debriefs, actions and answers go through the real services, as in
``visits.demo``, so their notifications and history are the ones the pages
make.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from dataclasses import dataclass
from itertools import accumulate

from django.db.models import Exists, Min, OuterRef, QuerySet, Subquery

from engagement.accounts.models import Contact
from engagement.demo import BATCH, DEMO_ACCOUNT_MANAGER_EMAIL, DEMO_EXECUTIVE_EMAIL, DemoContext
from engagement.notifications.models import Notification
from engagement.people.models import Executive, Function, User
from feedback.models import ActionItem, Debrief, Survey, Theme
from feedback.services import (
    LOW_ANSWER_FOLLOW_UP_DAYS,
    SURVEY_VALID_DAYS,
    action_create,
    action_status_set,
    debrief_draft_save,
    debrief_submit,
    survey_answer,
    surveys_send,
)
from visits.models import Engagement, EngagementExecutive, EngagementStatusChange

# Debriefs started with the program's debrief practice, eighteen months ago,
# and became a habit over the last year.
DEBRIEF_HISTORY_DAYS = 548
# Share of held engagements debriefed, by days since they were held (up to
# the first number): recent meetings are still being written up; those of the
# last two months mostly are (so the debrief-due reminder, which looks back 30
# days, and the home pages, 60, have a few, not hundreds); before, the habit
# was taking hold. The older shares also keep the load within a fifth of the
# whole seed: each debrief costs its full-text index entry.
DEBRIEFED_SHARE = [(2, 0.1), (7, 0.45), (60, 0.85), (182, 0.35), (365, 0.12), (None, 0.04)]
# The demo executive was an early adopter and keeps up.
DEMO_EXECUTIVE_SHARE = [(2, 0.2), (10, 0.6), (182, 0.97), (None, 0.6)]
# The program has sent surveys after meetings for the last six months.
SURVEY_HISTORY_DAYS = 182
SENTIMENT_WEIGHTS = {2: 22, 1: 40, 0: 20, -1: 13, -2: 5}
# Chance that a debrief starts an action, by sentiment: complaints need doing.
ACTION_CHANCE = {2: 0.12, 1: 0.2, 0: 0.38, -1: 0.6, -2: 0.75}
SURVEYED_SHARE = 0.4
ANSWERED_SHARE = 0.55
VALUE_WEIGHTS = {5: 38, 4: 34, 3: 16, 2: 8, 1: 4}
RECOMMEND_BY_VALUE = {
    5: (10, 10, 9, 9, 9, 8),
    4: (10, 9, 9, 8, 8, 7, 7),
    3: (8, 7, 7, 6, 5),
    2: (6, 5, 4, 4, 3),
    1: (4, 3, 2, 1, 0),
}


@dataclass(frozen=True)
class ThemeVoice:
    """How customers talk about a theme, and what we do about it. ``function``
    owns its issues: an action outside the author's own function goes there."""

    description: str
    function: str
    praise: tuple[str, ...]
    complaints: tuple[str, ...]
    issues: tuple[str, ...]
    insights: tuple[str, ...]
    # (title, what was done and told, why it won't be done)
    actions: tuple[tuple[str, str, str], ...]


THEMES: dict[str, ThemeVoice] = {
    "Pricing": ThemeVoice(
        "List prices, discounts, price rises and how our commercial terms compare.",
        "Sales",
        (
            "The new volume tiers finally make sense for a business our size.",
            "Your pricing is not the cheapest, and we know that. We pay for the people who pick up the phone.",
            "Locking the price for three years got this through our board in one meeting.",
            "Your pricing is simple enough that our buyers can quote internally without calling you.",
            "The discount for the second site was fair, and nobody had to fight for it.",
        ),
        (
            "A {percent}% rise with six weeks' notice is not a partnership. Our budget was set in {month}.",
            "We pay per user, but half of those users log in twice a month. It feels like we are paying for shelfware.",
            "Your competitor offered us the same thing for {percent}% less. I would rather stay, but give me a reason.",
            "Every renewal is a negotiation from zero. Nobody on your side remembers what we agreed last time.",
            "I cannot explain your price list to my CFO. I have tried.",
            "We found out about the new support fee from the invoice.",
            "You charge us for the test environment as if it were production.",
        ),
        (
            "Price rise of {percent}% announced without enough notice for their budget cycle.",
            "Per-user licensing penalises their occasional users.",
            "Competitor undercutting us by about {percent}% at renewal.",
        ),
        (
            "Price is the reason they give, not the reason they would leave: the service carries the relationship.",
            "They budget a year ahead; a price change that misses their cycle costs us more goodwill than money.",
            "Occasional users are a real group for them; a lighter licence would keep the whole company on us.",
        ),
        (
            (
                "Propose a licence for occasional users before the renewal",
                "Sent the draft terms for a lighter licence; their procurement lead is reviewing them for the renewal.",
                "No split licence this year; told them it is on the list for next year's price book.",
            ),
            (
                "Hold this year's price until their budget cycle",
                "Agreed to hold the price until {month}; confirmed in writing to their CFO.",
                "Finance would not hold it; offered extra training days instead, which they accepted.",
            ),
            (
                "Write down the renewal terms agreed last time and share them with the account team",
                "Summary of the last two renewals is on the account record; sent them a copy.",
                "The terms were already in the contract; pointed them to clause 7 and walked them through it.",
            ),
        ),
    ),
    "Onboarding": ThemeVoice(
        "The first months of a new customer or a new site: setup, data migration, go-live.",
        "Service",
        (
            "Your onboarding team was the best part of the whole project. {team} still ask for them by name.",
            "We went live at {site} in {weeks} weeks. The plan said twelve.",
            "The migration checklist saved us. We have reused it for two other suppliers.",
            "Your team trained our people on site, on night shift too. Nobody asked them to.",
            "Go-live at {site} was the quietest Monday we have had in years.",
        ),
        (
            "We were handed over to support the day after go-live, and nobody told us.",
            "The onboarding plan assumed we had a project manager. We do not.",
            "Our data came across with {n} errors in the customer records, and we found them, not you.",
            "Three different people ran our onboarding. Each one started by asking the same questions.",
            "{site} has been live for {weeks} weeks and still runs half of it on spreadsheets.",
            "Nobody told us the data had to be cleaned before migration. We lost a month.",
            "The kick-off promised a weekly call. We had three.",
        ),
        (
            "Handover from onboarding to support felt abrupt.",
            "Data migration left {n} errors in their records.",
            "Onboarding staff changed three times during their project.",
        ),
        (
            "Onboarding is where their opinion of us was formed; they still measure everything against it.",
            "A smaller customer needs us to bring the project management, not assume they have it.",
            "They judge the handover, not the go-live: the first month after it is what they remember.",
        ),
        (
            (
                "Give them a named contact for the first ninety days after go-live",
                "Named their service lead and introduced her on a call with their operations manager.",
                "Every customer now has the service desk from day one; explained how to escalate if it fails them.",
            ),
            (
                "Check and correct the migrated customer records",
                "All {n} records corrected and checked with their data owner; sent the list of fixes.",
                "Their team had already corrected them; thanked them and fed the cause back to the migration team.",
            ),
            (
                "Review the onboarding plan template for customers without a project manager",
                "Template now has a lighter track; their second site will use it.",
                "Onboarding kept one template; we offered them a part-time project manager for the next site.",
            ),
        ),
    ),
    "Support response times": ThemeVoice(
        "How fast the service desk answers, escalates and fixes.",
        "Service",
        (
            "When the line went down at {site}, your engineer was on the phone in ten minutes. That is why we renewed.",
            "The new escalation path works. Our last priority-one ticket was closed the same day.",
            "Your night shift knows our set-up better than our own IT does.",
            "Your engineer called back on a Sunday to check the fix held. That stays with people.",
            "We used to escalate everything to you. Now the service desk just handles it.",
        ),
        (
            "A priority-one ticket should not wait {hours} hours for a first answer.",
            "Every ticket gets the same reply: have you tried restarting it. We have. That is why we call.",
            "We are told a ticket is closed when the fix is planned, not when it works.",
            "I have the mobile number of your account manager because the service desk does not answer.",
            "Our operators stopped logging tickets. They say nothing happens, so why bother.",
            "Every time we call, we explain the whole history again.",
            "Your service desk answers quickly. It just never knows anything.",
        ),
        (
            "First response to priority-one tickets took up to {hours} hours.",
            "Tickets closed before the fix reached them.",
            "Their operators have stopped logging tickets.",
        ),
        (
            "Their frustration is with the time to a first human answer, not the time to the fix.",
            "When operators stop logging tickets, our figures look better just as the service gets worse.",
            "The escalation path works once they know it exists; most of their team does not.",
        ),
        (
            (
                "Review their open tickets with the service desk lead",
                "Went through all {n} open tickets with the desk lead; {team} had a call on the three oldest.",
                "The tickets were already being worked; sent them the plan with a date for each instead.",
            ),
            (
                "Send them the escalation path and the names behind it",
                "Sent the escalation path with names and numbers; their operations manager shared it with {team}.",
                "They had it already; the real issue was the first response, followed up in another action.",
            ),
            (
                "Find out why priority-one tickets waited {hours} hours",
                "Cause found: tickets from their region were routed to the wrong queue. Fixed, and told them so.",
                "Could not reproduce from the ticket log; asked them to flag the next one to us directly.",
            ),
        ),
    ),
    "Product gaps": ThemeVoice(
        "What customers need that the product does not do, or does badly.",
        "Product",
        (
            "The mobile app is the first one our field teams actually use.",
            "The new reporting does eighty percent of what we used to do by hand.",
            "You built the bulk import we asked for. Nobody else ever listened to us like that.",
            "The new dashboard is on the wall in our control room.",
            "Your search finally finds things. {team} noticed the same week.",
        ),
        (
            "We export everything to Excel because your reports cannot filter by site.",
            "The app does not work offline, and half of {site} has no signal.",
            "We asked for approval workflows two years ago. We built our own in {system}.",
            "Your product is fine for one country. We operate in {n}.",
            "The audit trail does not show who changed a price. Our auditors asked twice.",
            "We cannot schedule a report. Someone runs it by hand at six every morning.",
            "Your product assumes one warehouse per site. We have {n}.",
        ),
        (
            "Reports cannot filter by site; they export to Excel.",
            "No offline mode for the mobile app.",
            "Audit trail does not record price changes by user.",
        ),
        (
            "They have built workarounds around our gaps; every workaround is a reason to look at a competitor.",
            "The gap they feel most is reporting, not features: they cannot show our value to their own board.",
            "Their field teams would use more of the product if it worked where they work.",
        ),
        (
            (
                "Share their reporting needs with Product and come back with a date",
                "Product confirmed filtering by site for the spring release; told their operations director.",
                "Not on this year's roadmap; shared a saved-export workaround with them and logged the request.",
            ),
            (
                "Get them into the offline-mode pilot",
                "They joined the pilot with {n} field users at {site}.",
                "The pilot was full; they are first in line for the general release and know the date.",
            ),
            (
                "Check whether the audit trail can show who changed a price",
                "It can, with a setting they did not have on; turned it on and showed their auditor.",
                "It cannot yet; Product has it planned and we sent their auditors a written statement meanwhile.",
            ),
        ),
    ),
    "Integrations": ThemeVoice(
        "Connecting our product with the customer's other systems: APIs, exports, connectors.",
        "Engineering",
        (
            "The {system} connector just works. We stopped thinking about it, which is the compliment.",
            "Your API documentation is the best we have. Our developers said so without being asked.",
            "Being able to push orders straight from {system} took a day out of every week for {team}.",
            "Your integration team fixed in a week what our own IT had parked for a year.",
            "The webhook changes were announced months ahead. That is how it should be done.",
        ),
        (
            "The nightly sync with {system} fails about once a week, and we find out from our customers.",
            "Your API limits are set for a company a tenth of our size.",
            "We paid a consultant to build the {system} integration you told us was standard.",
            "Every upgrade breaks our integration. We have stopped taking upgrades.",
            "Nobody could tell us which fields the export includes. We had to reverse-engineer it.",
            "The connector only syncs once a night. Our business does not stop at six.",
            "We were told the {system} connector was included. Then we got the quote.",
        ),
        (
            "Nightly sync with {system} fails roughly weekly.",
            "API rate limits too low for their volume.",
            "Upgrades break their integration, so they skip them.",
        ),
        (
            "Integration failures hurt twice: the data is wrong, and they learn it from their own customers.",
            "A customer that skips upgrades drifts away from the product we are selling them.",
            "Their developers are our quiet advocates; it pays to give them a direct line.",
        ),
        (
            (
                "Investigate the failing {system} sync",
                "Engineering raised a timeout on large batches; no failure in {weeks} weeks since. Told their IT lead.",
                "The failures start behind their firewall; our engineer walked their IT team through the logs.",
            ),
            (
                "Review their API limits against their volume",
                "Limits raised for their account; confirmed with their developers, who retested at peak load.",
                "Limits are the same for every customer; offered the bulk endpoint instead, which covers their case.",
            ),
            (
                "Send them the field list of the standard export",
                "Sent the documented field list and added it to the help centre.",
                "The export is being replaced next quarter; sent them the new format's specification instead.",
            ),
        ),
    ),
    "Billing": ThemeVoice(
        "Invoices, credit notes, payment terms and billing errors.",
        "Finance",
        (
            "Your invoices are the only ones our accounts team never queries.",
            "Moving to one consolidated invoice saved {team} a day a month.",
            "The credit note came within a week. That is faster than we pay our own suppliers.",
            "Paying by site instead of by contract made our cost allocation simple.",
            "Your finance team answered our query the same day, with the numbers.",
        ),
        (
            "We got {n} invoices for one order, each with a different reference.",
            "The invoice does not show the purchase order number, so our system rejects it.",
            "We were billed for {site} after we closed it. We told you twice.",
            "Your credit notes take a quarter to arrive. We pay interest on money that is yours to return.",
            "Nobody in your finance team can tell us what the line 'service adjustment' means.",
            "Your invoices arrive in the week we close our books. Every single month.",
            "We paid the same invoice twice and it took {weeks} weeks to get it back.",
        ),
        (
            "Invoices lack the purchase order number; their system rejects them.",
            "Still billed for a closed site.",
            "Credit notes take months.",
        ),
        (
            "Billing errors are small money and large irritation: their finance team talks to their CFO.",
            "They do not want a discount for the mistakes; they want the invoices right the first time.",
            "Their accounts payable rules are strict; our invoice format decides whether we are paid on time.",
        ),
        (
            (
                "Add their purchase order number to every invoice",
                "Finance added the PO field to their account; the last two invoices went through first time.",
                "Our billing system cannot carry it per line; agreed a monthly statement with PO numbers instead.",
            ),
            (
                "Stop billing for the closed site and credit what was charged",
                "Billing stopped and credit note issued for {n} months; sent to their finance director.",
                "The site was still under contract until {month}; explained the terms and the notice needed.",
            ),
            (
                "Explain the 'service adjustment' line to their finance team",
                "Finance explained it on a call; the line now says what it is on their invoices.",
                "It was a one-off correction already explained in writing; resent the letter.",
            ),
        ),
    ),
    "Reliability": ThemeVoice(
        "Outages, incidents, performance and the trust that goes with them.",
        "Engineering",
        (
            "We have not had an outage in a year. I had to check, because I had stopped noticing.",
            "After the incident in {month}, your report was honest. That earned more trust than the uptime did.",
            "Your status page tells us before our own people do.",
            "Month end ran without a hitch. First time in two years.",
            "When you took the system down for maintenance, you did it at night, and you told us a week ahead.",
        ),
        (
            "Three outages this quarter, all on a Monday morning, when {site} starts its week.",
            "The system slows to a crawl at month end, exactly when we need it most.",
            "We found out about the outage from our customers, not from you.",
            "The root-cause report came {weeks} weeks later and said nothing we did not know.",
            "I cannot promise my own customers anything while your platform is the weak link.",
            "The mobile app logs our people out in the middle of a job.",
            "Every release brings one new problem. We have started to dread them.",
        ),
        (
            "Repeated Monday-morning outages.",
            "Slow at month end.",
            "They heard of the outage from their own customers first.",
        ),
        (
            "They forgive an outage; they do not forgive hearing about it from someone else.",
            "Month end is their peak; what we call a slowdown is, for them, a late close.",
            "Reliability is a board-level topic for them now; the executive contact matters more than before.",
        ),
        (
            (
                "Send them the root-cause report and the fixes, with dates",
                "Report sent with the three fixes and their dates; walked their IT director through it.",
                "The report was already public; sent the link and offered a call with the engineer. They declined.",
            ),
            (
                "Subscribe their operations team to incident alerts",
                "Their operations team and {team} are on the alert list; tested with the last maintenance window.",
                "Their IT team owns the alerts and chose not to forward them; noted, nothing more for us to do.",
            ),
            (
                "Look into the month-end slowdown for their account",
                "Capacity added for month end; their last close ran on time. Told their finance lead.",
                "Slowdown traced to their own reporting jobs at the same hour; helped them reschedule them.",
            ),
        ),
    ),
    "Roadmap": ThemeVoice(
        "Where the product is going, and whether the customer's plans fit it.",
        "Product",
        (
            "Seeing the roadmap from someone who owns it changes how we plan the next three years.",
            "You told us what you will not build. That was the most useful part.",
            "The roadmap matches where we are going. That is rare.",
            "You asked us what to build before you built it. Please keep doing that.",
            "Knowing the date for the new reporting lets us stop building our own.",
        ),
        (
            "Every year we hear the feature is coming next year.",
            "We plan in three-year cycles. Your roadmap stops at six months.",
            "We read about your new product in a press release before our account manager mentioned it.",
            "Are you still investing in the version we run, or should we be planning a migration?",
            "We would like a say before you decide, not a webinar after.",
            "Your roadmap is all artificial intelligence. We need the basics to work.",
        ),
        (
            "A feature promised 'next year' for the second year running.",
            "They need a longer roadmap view for their three-year planning.",
            "Unsure whether their version is still invested in.",
        ),
        (
            "They want to plan with us, not be told; a seat at the customer advisory board would do more than a demo.",
            "Honesty about what we will not build is worth more to them than promises.",
            "Their three-year plan is being written now; what they hear from us this quarter goes into it.",
        ),
        (
            (
                "Invite them to the customer advisory board",
                "Their CIO accepted a seat on the advisory board; first session is booked.",
                "The board is full this year; arranged a one-to-one roadmap session with Product instead.",
            ),
            (
                "Give them a written answer on the future of their version",
                "Product confirmed support until {month} of next year; sent in writing with the migration path.",
                "Product could not commit in writing yet; told them when they will know, and we will come back then.",
            ),
            (
                "Arrange a roadmap session with the product lead",
                "Held the session with their architects; they sent back a list of {n} priorities, shared with Product.",
                "They chose to wait for the public roadmap event next month; registered their team.",
            ),
        ),
    ),
    "Training": ThemeVoice(
        "How customer users learn the product: courses, guides, certification.",
        "Service",
        (
            "The train-the-trainer course was the best money we spent on this project.",
            "Your short videos are what {team} actually watch.",
            "Certified users make half the mistakes. We want everyone through it.",
            "The refresher course brought our error rate down in a month.",
        ),
        (
            "The training is built for administrators. Our operators need a one-page guide.",
            "We lose a third of our users to turnover every year, and the training assumes they stay.",
            "The course is only in English. {n} of our sites are not.",
            "Training was the first thing cut from the project, and we are paying for it now.",
            "Your training site is on the old version. Our people learn screens that no longer exist.",
        ),
        (
            "No short guide for operators.",
            "Training only in English.",
            "High staff turnover leaves many users untrained.",
        ),
        (
            "Their problem is turnover, not the product: whatever we teach has to be taught again every year.",
            "Operators learn from each other; training the trainers reaches more of them than any course.",
            "Untrained users open the tickets that make the service look slow.",
        ),
        (
            (
                "Offer a train-the-trainer session for their site leads",
                "Session held for {n} site leads at {site}; they run their own from now on.",
                "They would not release the site leads this quarter; sent the self-paced version instead.",
            ),
            (
                "Send them the one-page operator guides",
                "Sent the operator guides; {team} printed them for every station.",
                "There is no one-page guide yet; the training team has it planned and they will get the first copy.",
            ),
            (
                "Find out when the course is available in their languages",
                "Two of their languages are available now and were sent; the others follow in {month}.",
                "No translation is planned this year; offered subtitles on the video course, which they accepted.",
            ),
        ),
    ),
    "Account team": ThemeVoice(
        "The customer's experience of our account manager, sales and service people.",
        "Sales",
        (
            "Your account manager knows our business better than some of our own managers.",
            "Whatever we ask, your team comes back within a day, even when the answer is no.",
            "This is the first time someone senior from your side has come to listen rather than sell.",
            "Your account manager told us not to buy something. We have trusted her since.",
        ),
        (
            "We have had {n} account managers in four years. Each one starts from the beginning.",
            "Your team only calls when a renewal is due.",
            "Your sales and service people tell us different things, and we have to work out who is right.",
            "I did not know who to call when things went wrong, so I called you.",
            "Your people are friendly, but nobody seems able to decide anything.",
        ),
        (
            "Frequent account manager changes.",
            "Contact only around renewals.",
            "Sales and service give conflicting answers.",
        ),
        (
            "Continuity of the account team matters more to them than any single fix.",
            "They want a relationship between renewals; a quarterly call would change their view of us.",
            "When our people disagree in front of them, they trust neither.",
        ),
        (
            (
                "Set up a quarterly review with their operations lead",
                "Quarterly review set up; the first one covered the open tickets and the roadmap.",
                "They preferred to keep the monthly service call and add an agenda item; done.",
            ),
            (
                "Give them one named contact for escalations",
                "The account manager is the named contact, with the service lead as back-up; sent to their COO.",
                "They already had one and did not know it; sent the name again with an introduction call.",
            ),
            (
                "Align what sales and service told them about the upgrade",
                "Sales and service agreed one answer and sent it together, with a date.",
                "The two answers were about different products; explained the difference in one email.",
            ),
        ),
    ),
}

# How often each theme comes up.
THEME_WEIGHTS = {
    "Pricing": 14, "Onboarding": 10, "Support response times": 16, "Product gaps": 16, "Integrations": 9,
    "Billing": 9, "Reliability": 10, "Roadmap": 7, "Training": 5, "Account team": 8,
}  # fmt: skip

# What any customer may say, whatever the meeting was about.
GENERAL_PRAISE = (
    "You are the first supplier who has asked us this in person.",
    "We do not need more features. We need what we have to keep working, and it does.",
    "It helps that you came to us. Our plant managers noticed.",
    "Honestly, this was more useful than the quarterly business review.",
    "We do not say it often enough: your people on the ground are very good.",
    "If every supplier worked like this, my job would be easier.",
    "We recommend you to our peers. Not because you are perfect, but because you fix things.",
)
GENERAL_COMPLAINTS = (
    "We have told your people this before. I am telling you because nothing changed.",
    "It feels like we are a small account to you, even though you are a big supplier to us.",
    "I would like to hear back on this before our next meeting, not at it.",
    "Please do not send me a survey about this. Send me a fix.",
    "We have been loyal for eight years. Lately it feels one-sided.",
    "My board asks me every quarter whether we should tender this. I used to say no without thinking.",
)
SURPRISED = (
    "How much of their week goes into working around us: I expected complaints, not workarounds.",
    "Their operators knew our product better than their managers did.",
    "They had never heard of our escalation path.",
    "They measure us on something we never report: first-time fix at their sites.",
    "How candid their COO was in front of her own team.",
    "They compared us with a supplier outside our market, not with our competitors.",
    "They keep a list of our promises, with dates. Most are ticked.",
    "Nobody on their side had seen our last two release notes.",
    "They value the account team more than the product.",
    "They had already budgeted for next year's price rise.",
    "Their IT team and their operations team want opposite things from us.",
    "How little the outage in the spring still matters to them; how much the billing errors do.",
    "They run {n} sites on our product, not the handful on our records.",
)
DISAGREED = (
    "They think our prices went up faster than the market; I believe they did not.",
    "They blame the last outage on our platform; the root cause was their network change.",
    "They said nobody ever follows up. The account team has a record of every follow-up.",
    "They see the new licence model as a price rise; for most of their users it is cheaper.",
    "They believe the competitor's product does everything ours does; it does not, yet.",
    "They want us to customise the product for them; it would make their upgrades harder.",
    "They said the service desk is slower than last year; our figures say it is faster.",
    "Their view that training is our job alone: half of it has to come from their own leads.",
    "They expect the roadmap to be a commitment; it is our best current plan.",
)
GENERAL_INSIGHTS = (
    "Listening without a slide deck got us further than any business review.",
    "The account team should bring their operations lead into the next meeting: she carries the day-to-day.",
    "What they raised is fixable; what matters is that they hear back from us within the week.",
    "They compare us with their best supplier, not with our competitors.",
    "The relationship rests on one person on each side; it needs a second thread.",
    "Their next decision about us is made at the renewal, but formed in meetings like this one.",
)
GENERAL_ISSUES = (
    "Follow-ups promised at the last meeting were not closed.",
    "Wants a single point of contact for anything that crosses teams.",
)
PROGRESS_NOTES = (
    "Started: first call held, waiting on the team that owns it.",
    "In hand; the customer knows we are on it and when to expect an answer.",
    "Draft ready, waiting for sign-off before it goes to the customer.",
    "",
)

# What customers write in the survey's free text, by how the meeting went.
SURVEY_HIGH = (
    "Keep doing this. Hearing it from someone senior made the difference for our team.",
    "Nothing. It was the most useful hour we have had with a supplier this year.",
    "Send the notes a little sooner; otherwise spot on.",
    "Bring someone from product next time: the questions got technical.",
    "More time on our plans, less on your slides.",
    "It was good to be listened to. Please come back in six months and see what changed.",
    "Invite our site managers next time; they would have a lot to say.",
    "Thank you for making the time, and for not trying to sell us anything.",
)
SURVEY_MIDDLE = (
    "Useful, but we have heard the promises before. Show us the dates.",
    "Good conversation. I am waiting to see whether anything comes of it.",
    "It ran over and we did not get to the service issues, which were the point for us.",
    "Please send someone who can decide, or tell us who can.",
    "Fine, but it could have been an email.",
)
SURVEY_LOW = (
    "It felt like a sales pitch. We asked for a conversation about the outages and got a product demo.",
    "Nobody could answer our billing question and we still have no follow-up.",
    "Please stop sending a new person every time; we had to explain our set-up again.",
    "We raised the same issues as last year. Tell us what happened to them before asking for more.",
    "Your executive was on time and polite, but did not seem to know our account.",
    "We do not need another meeting. We need the integration fixed.",
    "Half an hour late, and the link did not work for our people at the plant.",
)
FOLLOW_UP_DONE = (
    "Called them the week after: walked through the dates for the fixes and agreed a monthly check-in.",
    "Met their operations lead with our service manager; the open tickets are closed and they confirmed it.",
    "Sent a written answer to every point they raised, with an owner and a date for each.",
    "Apologised for the mix-up and set up the next meeting with the right people in the room.",
)
FOLLOW_UP_WONT = (
    "They did not want a call back: they wanted it heard, and it was. Shared with the team that owns it.",
    "They asked for a discount outside the contract terms; explained why we can't and offered a service review.",
    "Covered by the action from the debrief of the same meeting.",
)

SLOT_VALUES = {
    "system": ("SAP", "Salesforce", "ServiceNow", "Oracle", "Workday", "NetSuite", "Dynamics"),
    "site": (
        "the Leeds plant",
        "our Rotterdam depot",
        "the Ohio warehouse",
        "the Monterrey plant",
        "our Lyon site",
        "the Brisbane distribution centre",
        "the Pune plant",
        "our Dallas hub",
        "the Gdansk yard",
    ),
    "team": ("our planners", "the service desk", "our buyers", "the finance team", "our operators", "our engineers"),
    "month": ("January", "March", "April", "June", "September", "October", "November"),
}


def _slots(rng: random.Random) -> dict[str, object]:
    """The particulars one conversation fills its phrases with."""
    slots: dict[str, object] = {name: rng.choice(values) for name, values in SLOT_VALUES.items()}
    slots.update(
        percent=rng.choice((6, 8, 9, 12, 15, 18)),
        n=rng.choice((3, 4, 5, 6, 7, 9, 12)),
        weeks=rng.choice((3, 4, 6, 8, 10)),
        hours=rng.choice((6, 9, 14, 20, 30)),
    )
    return slots


def _fill(text: str, slots: dict[str, object]) -> str:
    text = text.format(**slots)
    return text[0].upper() + text[1:]


def _share(table: list[tuple[int | None, float]], days: int) -> float:
    for below, share in table:
        if below is None or days < below:
            return share
    return 0.0


@dataclass
class Written:
    """One generated debrief, with the issues it raised by theme and the
    particulars it spoke of, for the actions that follow from it."""

    fields: dict[str, object]
    theme_names: list[str]
    issues: dict[str, str]
    slots: dict[str, object]


def _themes_for(rng: random.Random, names: list[str], cum: list[int]) -> list[str]:
    """One to three themes, the common ones more often."""
    wanted = rng.choices((1, 2, 3), weights=(60, 30, 10))[0]
    chosen: list[str] = []
    while len(chosen) < wanted:
        name = rng.choices(names, cum_weights=cum)[0]
        if name not in chosen:
            chosen.append(name)
    return chosen


def _debrief_text(rng: random.Random, theme_names: list[str], sentiment: int, slots: dict[str, object]) -> Written:
    """A debrief in the author's words around the customer's: mostly praise
    when the customer was happy, mostly complaints when not."""
    complaint_share = {2: 0.12, 1: 0.3, 0: 0.55, -1: 0.8, -2: 0.9}[sentiment]
    quotes: list[str] = []
    raised: list[str] = []
    wanted = rng.choice((2, 2, 3, 3, 3, 4))
    while len(quotes) < wanted:
        complaint = rng.random() < complaint_share
        theme_name = None
        if rng.random() < 0.15:
            quote = rng.choice(GENERAL_COMPLAINTS if complaint else GENERAL_PRAISE)
        else:
            theme_name = rng.choice(theme_names)
            voice = THEMES[theme_name]
            quote = rng.choice(voice.complaints if complaint else voice.praise)
        quote = _fill(quote, slots)
        if quote in quotes:
            continue
        quotes.append(quote)
        if complaint and theme_name is not None and theme_name not in raised:
            raised.append(theme_name)
    issues = {name: _fill(rng.choice(THEMES[name].issues), slots) for name in raised}
    lines = list(issues.values())
    if not lines and sentiment <= 0 and rng.random() < 0.5:
        lines.append(rng.choice(GENERAL_ISSUES))
    insights = [rng.choice(THEMES[rng.choice(theme_names)].insights)]
    if rng.random() < 0.2:
        insights.append(rng.choice(GENERAL_INSIGHTS))
    return Written(
        fields={
            "heard": "\n\n".join(quotes),
            "surprised": _fill(rng.choice(SURPRISED), slots) if rng.random() < 0.6 else "",
            "disagreed": rng.choice(DISAGREED) if rng.random() < 0.35 else "",
            "insights": " ".join(insights) if rng.random() < 0.85 else "",
            "issues_raised": "\n".join(lines),
            "sentiment": sentiment,
        },
        theme_names=theme_names,
        issues=issues,
        slots=slots,
    )


def seed(ctx: DemoContext) -> None:
    """Themes; the demo logins' debriefs, actions and answers through the
    services; then, in bulk, debriefs, actions and surveys for the rest."""
    Theme.objects.bulk_create(
        [Theme(name=name, description=voice.description) for name, voice in THEMES.items()], ignore_conflicts=True
    )
    themes = Theme.objects.in_bulk(list(THEMES), field_name="name")
    story = _seed_demo_logins(ctx, themes)
    world = _World.read(ctx, story)
    debriefs, actions = _seed_debriefs(ctx, world, themes)
    surveys, answered, follow_ups = _seed_surveys(ctx, world)
    ctx.say(
        f"  {len(THEMES)} themes, {debriefs:,} debriefs, {actions + follow_ups:,} actions, "
        f"{surveys:,} surveys ({answered:,} answered)"
    )


@dataclass
class _World:
    """What the bulk part reads once: the held engagements of the debrief
    window with their lead executive, and who everyone is."""

    today_start: dt.datetime
    # (pk, account_id, status, ends_at, held_at), by pk
    held: list[tuple[int, int, str, dt.datetime, dt.datetime]]
    window: QuerySet[Engagement]
    account_of: dict[int, int]
    lead_of: dict[int, int]
    staffed: set[tuple[int, int]]
    executive_user: dict[int, int]
    user_function: dict[int, int | None]
    time_zone: dict[int, str]
    function_owner: dict[str, tuple[int, int]]
    demo_executive_user: int

    @classmethod
    def read(cls, ctx: DemoContext, story: set[int]) -> _World:
        today_start = dt.datetime.combine(ctx.today, dt.time.min, tzinfo=dt.UTC)
        window = Engagement.objects.filter(
            status__in=Engagement.HELD_STATUSES,
            starts_at__gte=today_start - dt.timedelta(days=DEBRIEF_HISTORY_DAYS),
            starts_at__lt=today_start,
        )
        held = [
            row
            for row in window.order_by("pk").values_list("pk", "account_id", "status", "ends_at", "status_changed_at")
            if row[0] not in story
        ]
        lead_of = dict(
            EngagementExecutive.objects.filter(
                engagement__in=window, role=EngagementExecutive.Role.LEAD, executive__active=True
            ).values_list("engagement_id", "executive_id")
        )
        staffed = set(
            Engagement.staff.through.objects.filter(engagement__in=window).values_list("engagement_id", "user_id")
        )
        executives = list(Executive.objects.values_list("pk", "user_id", "function_id"))
        leads = Function.objects.filter(lead__active=True, lead__user__is_active=True)
        return cls(
            today_start=today_start,
            held=held,
            window=window,
            account_of={row[0]: row[1] for row in held},
            lead_of=lead_of,
            staffed=staffed,
            executive_user={pk: user_id for pk, user_id, _ in executives},
            user_function={user_id: function_id for _, user_id, function_id in executives},
            time_zone=dict(User.objects.values_list("pk", "time_zone")),
            function_owner={
                name: (pk, user_id) for name, pk, user_id in leads.values_list("name", "pk", "lead__user_id")
            },
            demo_executive_user=User.objects.get(email=DEMO_EXECUTIVE_EMAIL).pk,
        )

    def local_date(self, moment: dt.datetime, user_id: int) -> dt.date:
        return moment.astimezone(zoneinfo.ZoneInfo(self.time_zone[user_id])).date()


def _action_fate(
    rng: random.Random, world: _World, created_at: dt.datetime, due_on: dt.date
) -> tuple[str, dt.datetime | None, dt.datetime]:
    """An action's status as of today, when it was closed, and last changed:
    long past due, closed; lately due, some still open (overdue); not yet
    due, mostly open or under way."""
    today = world.today_start.date()
    status_of = ActionItem.Status
    if due_on < today - dt.timedelta(days=21):
        status = rng.choices(list(status_of), weights=(0, 0, 80, 20))[0]
    elif due_on < today:
        status = rng.choices(list(status_of), weights=(12, 13, 60, 15))[0]
    else:
        status = rng.choices(list(status_of), weights=(55, 35, 10, 0))[0]
    latest = world.today_start - dt.timedelta(hours=1)
    due_at = dt.datetime.combine(due_on, dt.time(17), tzinfo=dt.UTC)
    changed_at = min(created_at + (due_at - created_at) * rng.uniform(0.2, 1.2), latest)
    changed_at = max(changed_at, created_at)
    if status in ActionItem.CLOSED_STATUSES:
        return status, changed_at, changed_at
    if status == status_of.IN_PROGRESS:
        return status, None, changed_at
    return status, None, created_at


def _seed_debriefs(ctx: DemoContext, world: _World, themes: dict[str, Theme]) -> tuple[int, int]:
    """Submitted debriefs by the lead executive, and sometimes by the account
    manager too; the engagements they debrief marked so, with the history
    row the service would write; an action from about a third of them."""
    rng = ctx.rng
    names = list(THEMES)
    theme_cum = list(accumulate(THEME_WEIGHTS[name] for name in names))
    sentiments, sentiment_cum = list(SENTIMENT_WEIGHTS), list(accumulate(SENTIMENT_WEIGHTS.values()))
    latest = world.today_start - dt.timedelta(minutes=30)
    debriefs: list[Debrief] = []
    plans: list[Written] = []
    for pk, account_id, status, _ends_at, held_at in world.held:
        executive_id = world.lead_of.get(pk)
        if status != Engagement.Status.COMPLETED or executive_id is None:
            continue
        lead_user = world.executive_user[executive_id]
        days = (world.today_start - held_at).days
        table = DEMO_EXECUTIVE_SHARE if lead_user == world.demo_executive_user else DEBRIEFED_SHARE
        if rng.random() >= _share(table, days):
            continue
        submitted_at = held_at + dt.timedelta(hours=rng.uniform(2, 20) + rng.expovariate(1 / 30))
        if submitted_at >= latest:
            continue
        manager_id = ctx.accounts[account_id].manager_id
        authors = [(lead_user, submitted_at)]
        if rng.random() < (0.4 if (pk, manager_id) in world.staffed else 0.04):
            # The account manager writes their own, before or after the executive.
            authors.append((manager_id, held_at + dt.timedelta(hours=rng.uniform(1, 40))))
        theme_names = _themes_for(rng, names, theme_cum)
        sentiment = rng.choices(sentiments, cum_weights=sentiment_cum)[0]
        slots = _slots(rng)
        for index, (author_id, at) in enumerate(authors):
            if at >= latest:
                continue
            if index:
                # Two people in the same meeting: close, not identical.
                sentiment = max(-2, min(2, sentiment + rng.choice((-1, 0, 0, 0, 1))))
            written = _debrief_text(rng, theme_names, sentiment, slots)
            follow_up = None
            if rng.random() < 0.4:
                follow_up = world.local_date(at, author_id) + dt.timedelta(days=rng.choice((14, 21, 30, 45, 60, 90)))
            debriefs.append(
                Debrief(
                    engagement_id=pk,
                    author_id=author_id,
                    status=Debrief.Status.SUBMITTED,
                    follow_up_on=follow_up,
                    created_at=at - dt.timedelta(minutes=rng.randint(6, 90)),
                    updated_at=at,
                    submitted_at=at,
                    **written.fields,
                )
            )
            plans.append(written)
    Debrief.objects.bulk_create(debriefs, batch_size=BATCH)
    Debrief.themes.through.objects.bulk_create(
        [
            Debrief.themes.through(debrief_id=debrief.pk, theme_id=themes[name].pk)
            for debrief, written in zip(debriefs, plans, strict=True)
            for name in written.theme_names
        ],
        batch_size=BATCH,
    )
    _mark_debriefed(world, debriefs)
    actions = _actions_from(ctx, world, debriefs, plans)
    ActionItem.objects.bulk_create(actions, batch_size=BATCH)
    return len(debriefs), len(actions)


def _mark_debriefed(world: _World, debriefs: list[Debrief]) -> None:
    """What ``engagement_debriefed`` does for each: the status, since the
    first debrief, and the history row by its author."""
    first: dict[int, Debrief] = {}
    for debrief in debriefs:
        seen = first.get(debrief.engagement_id)
        if seen is None or debrief.submitted_at < seen.submitted_at:
            first[debrief.engagement_id] = debrief
    EngagementStatusChange.objects.bulk_create(
        [
            EngagementStatusChange(
                engagement_id=engagement_id, from_status=Engagement.Status.COMPLETED,
                to_status=Engagement.Status.DEBRIEFED, by_id=debrief.author_id, at=debrief.submitted_at,
                note="First debrief submitted",
            )
            for engagement_id, debrief in first.items()
        ],
        batch_size=BATCH,
    )  # fmt: skip
    # One UPDATE: each engagement takes the time of its first debrief. The
    # subqueries are keyed on the engagement alone, so that SQLite reads them
    # through the engagement's index rather than its status index, which
    # would scan every submitted debrief for each engagement.
    submitted = Debrief.objects.filter(engagement=OuterRef("pk"), submitted_at__isnull=False).order_by()
    first_at = submitted.values("engagement").annotate(first=Min("submitted_at")).values("first")
    world.window.filter(Exists(submitted), status=Engagement.Status.COMPLETED).update(
        status=Engagement.Status.DEBRIEFED, status_changed_at=Subquery(first_at)
    )


def _action(
    rng: random.Random,
    world: _World,
    *,
    engagement_id: int,
    created_at: dt.datetime,
    owner_id: int,
    title: str,
    detail: str,
    notes: tuple[str, str],
    due_on: dt.date | None = None,
    created_by_id: int | None = None,
    function_id: int | None = None,
    debrief_id: int | None = None,
    survey_id: int | None = None,
) -> ActionItem:
    """An action as it stands today, its note saying what was done or why not."""
    if due_on is None:
        due_on = world.local_date(created_at, owner_id) + dt.timedelta(days=rng.choice((7, 10, 14, 14, 21, 30)))
    status, closed_at, updated_at = _action_fate(rng, world, created_at, due_on)
    done, wont = notes
    note = {ActionItem.Status.DONE: done, ActionItem.Status.WONT_DO: wont}.get(status, "")
    if status == ActionItem.Status.IN_PROGRESS:
        note = rng.choice(PROGRESS_NOTES)
    return ActionItem(
        engagement_id=engagement_id,
        debrief_id=debrief_id,
        survey_id=survey_id,
        title=title[:200],
        detail=detail,
        owner_id=owner_id,
        function_id=function_id,
        created_by_id=created_by_id,
        due_on=due_on,
        status=status,
        status_note=note,
        created_at=created_at,
        updated_at=updated_at,
        closed_at=closed_at,
    )


def _actions_from(ctx: DemoContext, world: _World, debriefs: list[Debrief], plans: list[Written]) -> list[ActionItem]:
    """About a third of the debriefs start an action, the unhappier the more
    often: for the author or the account manager, or routed to the lead of
    the function that owns the issue when it is not the author's own."""
    rng = ctx.rng
    actions = []
    for debrief, written in zip(debriefs, plans, strict=True):
        if rng.random() >= ACTION_CHANCE[debrief.sentiment]:
            continue
        author_id = debrief.author_id
        manager_id = ctx.accounts[world.account_of[debrief.engagement_id]].manager_id
        for theme_name in (list(written.issues) or written.theme_names)[: rng.choice((1, 1, 1, 2))]:
            voice = THEMES[theme_name]
            title, done, wont = rng.choice(voice.actions)
            slots = written.slots
            function_id, owner_id = None, author_id if rng.random() < 0.6 else manager_id
            routed = world.function_owner.get(voice.function)
            if (
                routed is not None
                and routed[1] != author_id
                and world.user_function.get(author_id) != routed[0]
                and rng.random() < 0.35
            ):
                function_id, owner_id = routed
            actions.append(
                _action(
                    rng,
                    world,
                    engagement_id=debrief.engagement_id,
                    created_at=debrief.submitted_at + dt.timedelta(minutes=rng.randint(2, 30)),
                    owner_id=owner_id,
                    title=_fill(title, slots),
                    detail=written.issues.get(theme_name, ""),
                    notes=(_fill(done, slots), _fill(wont, slots)),
                    created_by_id=author_id,
                    function_id=function_id,
                    debrief_id=debrief.pk,
                )
            )
    return actions


def _survey_words(rng: random.Random, value: int, recommend: int) -> str:
    """What a customer writes in the free text: often nothing when happy."""
    if value >= 4 and recommend >= 7:
        return rng.choice(SURVEY_HIGH) if rng.random() < (0.55 if value == 5 else 0.7) else ""
    if value >= 3:
        return rng.choice(SURVEY_MIDDLE) if rng.random() < 0.85 else ""
    return rng.choice(SURVEY_LOW) if rng.random() < 0.9 else ""


def _seed_surveys(ctx: DemoContext, world: _World) -> tuple[int, int, int]:
    """Surveys of about 40% of the engagements held in the last six months,
    to each customer contact who attended, sent within a day of the meeting;
    about half answered, and each low answer followed up by the account
    manager, as ``survey_answer`` does."""
    rng = ctx.rng
    since = world.today_start - dt.timedelta(days=SURVEY_HISTORY_DAYS)
    attended: dict[int, list[tuple[int, str]]] = {}
    for engagement_id, contact_id, name in (
        Engagement.contacts.through.objects.filter(
            engagement__in=world.window.filter(starts_at__gte=since), contact__active=True
        )
        .exclude(contact__email="")
        .order_by("engagement_id", "contact_id")
        .values_list("engagement_id", "contact_id", "contact__name")
    ):
        attended.setdefault(engagement_id, []).append((contact_id, name))
    values, value_cum = list(VALUE_WEIGHTS), list(accumulate(VALUE_WEIGHTS.values()))
    latest = world.today_start - dt.timedelta(minutes=30)
    surveys: list[Survey] = []
    names: list[str] = []
    for pk, account_id, _status, ends_at, held_at in world.held:
        contacts = attended.get(pk)
        if not contacts or held_at < since or rng.random() >= SURVEYED_SHARE:
            continue
        sent_at = max(ends_at, held_at) + dt.timedelta(hours=rng.uniform(0.5, 26))
        if sent_at >= latest:
            continue
        for contact_id, name in contacts:
            survey = Survey(
                engagement_id=pk,
                contact_id=contact_id,
                sent_by_id=ctx.accounts[account_id].manager_id,
                created_at=sent_at - dt.timedelta(seconds=rng.randint(5, 300)),
                claimed_at=sent_at,
                sent_at=sent_at,
                expires_at=sent_at + dt.timedelta(days=SURVEY_VALID_DAYS),
            )
            if rng.random() < ANSWERED_SHARE:
                answered_at = sent_at + dt.timedelta(hours=min(0.3 + rng.expovariate(1 / 40), 24 * 29))
                if answered_at < latest:
                    survey.value = rng.choices(values, cum_weights=value_cum)[0]
                    survey.recommend = rng.choice(RECOMMEND_BY_VALUE[survey.value])
                    survey.differently = _survey_words(rng, survey.value, survey.recommend)
                    survey.answered_at = answered_at
            surveys.append(survey)
            names.append(name)
    Survey.objects.bulk_create(surveys, batch_size=BATCH)
    follow_ups = [
        _action(
            rng,
            world,
            engagement_id=survey.engagement_id,
            created_at=survey.answered_at,
            owner_id=owner_id,
            title=f"Follow up with {name}: the survey scored {survey.value}/5 and {survey.recommend}/10",
            detail=survey.differently,
            notes=(rng.choice(FOLLOW_UP_DONE), rng.choice(FOLLOW_UP_WONT)),
            due_on=world.local_date(survey.answered_at, owner_id) + dt.timedelta(days=LOW_ANSWER_FOLLOW_UP_DAYS),
            survey_id=survey.pk,
        )
        for survey, name in zip(surveys, names, strict=True)
        if survey.answered_at is not None and survey.is_low
        for owner_id in [ctx.accounts[world.account_of[survey.engagement_id]].manager_id]
    ]
    ActionItem.objects.bulk_create(follow_ups, batch_size=BATCH)
    answered = sum(survey.answered_at is not None for survey in surveys)
    return len(surveys), answered, len(follow_ups)


# --- The demo logins' own feedback -------------------------------------------------
#
# The executive finds a debrief to write (with a draft begun), actions owed to
# them (one routed to the function they lead, if they lead one) and what
# customers answered; the account manager finds debriefs of their accounts and
# the actions that came out of them. All through the services.


@dataclass(frozen=True)
class RoutedAsk:
    """An issue heard in a meeting that belongs to ``function``."""

    theme: str
    quote: str
    title: str
    detail: str


ROUTED_ASKS = {
    "Sales": RoutedAsk(
        "Pricing",
        "Your sales team offered us a discount in March, and your contract says something else. Which one is true?",
        "Settle which price applies to their renewal: the March offer or the contract",
        "Their procurement lead has both documents and will not sign until one of them is withdrawn.",
    ),
    "Service": RoutedAsk(
        "Support response times",
        "Our priority-one ticket waited nineteen hours for a first answer. Nineteen.",
        "Find out why their priority-one ticket waited nineteen hours, and tell them",
        "The line at their main plant was down for most of a shift. They want the cause, not an apology.",
    ),
    "Operations": RoutedAsk(
        "Reliability",
        "Deliveries to our northern depots are late one week in three since you changed carriers.",
        "Review delivery performance to their northern depots since the carrier change",
        "They track it by depot and will share their figures; ours show no change, so one of us is wrong.",
    ),
    "Product": RoutedAsk(
        "Product gaps",
        "We asked for approval workflows two years ago. We built our own. Will you ever build it?",
        "Give them a straight answer on approval workflows: on the roadmap or not",
        "They would rather hear no than another 'next year'.",
    ),
    "Engineering": RoutedAsk(
        "Integrations",
        "The nightly sync with SAP fails about once a week, and we find out from our own customers.",
        "Find and fix the cause of their failing nightly SAP sync",
        "Their IT lead can share the failure times from their side; the last three were all after a batch of over "
        "ten thousand orders.",
    ),
    "Finance": RoutedAsk(
        "Billing",
        "Your invoices come without our purchase order number, so our system bounces them and we look like late "
        "payers.",
        "Add their purchase order number to every invoice",
        "Their accounts payable system rejects invoices without it; it happened three times this quarter.",
    ),
    "Marketing": RoutedAsk(
        "Roadmap",
        "We read about your new product in a press release before anyone told us. We are meant to be your reference "
        "customer.",
        "Brief them before the next announcement that touches their product line",
        "Their communications team was asked about it by a journalist and had nothing to say.",
    ),
    "People": RoutedAsk(
        "Account team",
        "Every time one of your engineers knows our sites, they leave, and the next one starts from zero.",
        "Agree a handover rule for engineers who leave their account",
        "Three engineers in eighteen months; each handover lost the site notes.",
    ),
    "Legal": RoutedAsk(
        "Pricing",
        "Your renewal draft has the liability clause we struck out last year. Our lawyers found it again.",
        "Check why the struck liability clause is back in their renewal draft",
        "Their general counsel wants it confirmed in writing before the renewal goes to their board.",
    ),
}

PREVIOUS_HEARD = (
    "We chose you for the people, and the people are still good. It is everything around them that has got "
    "slower.\n\n"
    "Our planners rebuild your delivery report in Excel every Monday morning. Two people, half a day each.\n\n"
    "Your invoices come without our purchase order number, so our system bounces them and we look like late "
    "payers.\n\n"
    "If you fixed only one thing this year, make it the report."
)


def _seed_demo_logins(ctx: DemoContext, themes: dict[str, Theme]) -> set[int]:
    """The demo logins' feedback, through the services; returns the
    engagements it touched, for the bulk part to leave alone."""
    manager = User.objects.get(email=DEMO_ACCOUNT_MANAGER_EMAIL)
    executive = Executive.objects.select_related("user", "function").get(user__email=DEMO_EXECUTIVE_EMAIL)
    jordan = executive.user
    today_start = dt.datetime.combine(ctx.today, dt.time.min, tzinfo=dt.UTC)
    first_new = (Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    story: set[int] = set()
    with_email = Exists(Contact.objects.filter(engagements=OuterRef("pk"), active=True).exclude(email=""))

    # The walkthrough of the visits demo, held two weeks ago: the customer
    # answered the survey, lukewarm; the executive has begun a draft.
    held = (
        Engagement.objects.filter(
            status=Engagement.Status.COMPLETED,
            requested_by=manager,
            attendances__executive=executive,
            status_changes__from_status=Engagement.Status.SCHEDULED,
            status_changes__to_status=Engagement.Status.COMPLETED,
        )
        .select_related("account", "type")
        .order_by("-pk")
        .first()
    )
    if held is not None and held.contacts.exists():
        story.add(held.pk)
        held_at = held.status_changed_at
        _surveys_sent(held, by=manager, at=held_at + dt.timedelta(minutes=20))
        _answer(
            held,
            value=3,
            recommend=6,
            differently="Good that you came to see the distribution centre yourselves.\n\n"
            "But you saw the same hand-off problem your service team saw in the autumn, and we still have no date "
            "for the fix. Come back when there is one.",
            at=held_at + dt.timedelta(days=2, hours=3),
        )
        follow_up = ActionItem.objects.filter(engagement=held, survey__isnull=False, owner=manager).first()
        if follow_up is not None:
            action_status_set(
                action=follow_up,
                by=manager,
                status=ActionItem.Status.IN_PROGRESS,
                note="Called back: the fix date goes to them as soon as Engineering confirms it.",
                now=held_at + dt.timedelta(days=6, hours=2),
            )
        debrief_draft_save(
            engagement=held,
            author=jordan,
            fields={
                "heard": "Every order waits at the dock until someone re-keys it from your portal.\n\n"
                "Your service team knows about it. They have known since the autumn.",
                "surprised": "Their shift leads keep a paper log of our hand-offs, with times.",
            },
            themes=[themes["Support response times"], themes["Integrations"]],
            now=held_at + dt.timedelta(hours=11),
        )
        action_create(
            engagement=held,
            by=manager,
            owner=jordan,
            title="Send their head of logistics the date of the hand-off fix, as you offered at the walkthrough",
            detail="She asked for it from you, not from the account team.",
            due_on=ctx.today + dt.timedelta(days=2),
            now=held_at + dt.timedelta(hours=5),
        )

    # An earlier meeting of the executive, debriefed by them and by the
    # account manager, with actions for each and one routed to Finance.
    candidates = (
        Engagement.objects.filter(
            with_email,
            attendances__executive=executive,
            status=Engagement.Status.COMPLETED,
            starts_at__range=(today_start - dt.timedelta(days=45), today_start - dt.timedelta(days=16)),
        )
        .exclude(pk__in=story)
        .select_related("account__account_manager", "type")
        .order_by("-starts_at", "-pk")
    )
    previous = candidates.filter(account__account_manager=manager).first() or candidates.first()
    if previous is not None:
        story.add(previous.pk)
        _previous_meeting(ctx, previous, executive, themes)

    # An issue another executive heard, routed to the function the demo
    # executive leads.
    led = executive.functions_led.order_by("name").first()
    if led is not None and led.name in ROUTED_ASKS:
        story.update(_routed_to_lead(ctx, executive, led, manager, themes, story))

    _notifications_read(first_new, before=today_start - dt.timedelta(days=5))
    ctx.say(f"  feedback of the demo logins on {len(story)} engagements")
    return story


def _debrief(
    *, engagement: Engagement, author: User, fields: dict[str, object], themes: list[Theme], now: dt.datetime
) -> Debrief:
    """Submit a debrief as the page does: its draft saved while the author
    typed the customer's words, then submitted."""
    debrief_draft_save(
        engagement=engagement,
        author=author,
        fields={"heard": str(fields["heard"]).split("\n\n")[0]},
        now=now - dt.timedelta(minutes=25),
    )
    return debrief_submit(engagement=engagement, author=author, fields=fields, themes=themes, now=now)


def _surveys_sent(engagement: Engagement, *, by: User, at: dt.datetime) -> list[int]:
    """Send the survey through the service, and record it delivered at
    ``at``: the demo sends no email (the queued task finds it sent)."""
    queued = surveys_send(engagement=engagement, by=by, now=at).queued
    Survey.objects.filter(pk__in=queued).update(
        claimed_at=at, sent_at=at, expires_at=at + dt.timedelta(days=SURVEY_VALID_DAYS)
    )
    return queued


def _answer(engagement: Engagement, *, value: int, recommend: int, differently: str, at: dt.datetime) -> None:
    """The next contact who has not answered answers, through their link's service."""
    survey = Survey.objects.filter(engagement=engagement, answered_at__isnull=True).order_by("pk").first()
    if survey is not None:
        survey_answer(survey=survey, value=value, recommend=recommend, differently=differently, now=at)


def _previous_meeting(ctx: DemoContext, engagement: Engagement, executive: Executive, themes: dict[str, Theme]) -> None:
    """A meeting of the demo executive's three to six weeks ago, debriefed by
    them and by the account manager, with an action for each, one routed to
    Finance, and two customers' answers."""
    jordan = executive.user
    today_start = dt.datetime.combine(ctx.today, dt.time.min, tzinfo=dt.UTC)
    held_at = engagement.status_changed_at
    manager = engagement.account.account_manager
    at = min(held_at + dt.timedelta(hours=20), today_start - dt.timedelta(hours=3))
    _debrief(
        engagement=engagement,
        author=jordan,
        fields={
            "heard": PREVIOUS_HEARD,
            "surprised": "They track our on-time delivery more closely than we do, and their figure is four points "
            "lower than ours.",
            "disagreed": "They think the report is a small change. It touches how every site records deliveries: a "
            "quarter's work, not a sprint.",
            "insights": "Our service is why they stay; our admin is what wears them down. A fixed report would be "
            "felt every Monday by people who never meet us.",
            "issues_raised": "Delivery report cannot be filtered by site; their planners rebuild it weekly.\n"
            "Invoices lack their purchase order number and are rejected by their accounts payable system.",
            "sentiment": 0,
            "follow_up_on": ctx.today + dt.timedelta(days=21),
        },
        themes=[themes["Product gaps"], themes["Billing"]],
        now=at,
    )
    if manager is not None and manager.is_active:
        _debrief(
            engagement=engagement,
            author=manager,
            fields={
                "heard": "Nobody has ever asked us what the Monday report costs us. Thank you for asking.\n\n"
                "Finance will escalate the invoices if they bounce again this quarter.",
                "insights": "Their finance team is the risk, not operations: the invoices come first, and I should "
                "tell their controller myself when they are fixed.",
                "issues_raised": "Invoices rejected for the missing purchase order number.",
                "sentiment": 0,
            },
            themes=[themes["Billing"], themes["Account team"]],
            now=at + dt.timedelta(hours=4),
        )
    finance = Function.objects.filter(name="Finance", lead__active=True, lead__user__is_active=True).first()
    ask = ROUTED_ASKS["Finance"]
    routable = finance is not None and executive.function_id != finance.pk and finance.lead_id != executive.pk
    action_create(
        engagement=engagement,
        by=jordan,
        title=ask.title,
        detail=ask.detail,
        due_on=ctx.today + dt.timedelta(days=9),
        function=finance if routable else None,
        owner=None if routable else manager or jordan,
        now=at + dt.timedelta(minutes=10),
    )
    if manager is not None and manager.is_active:
        report = action_create(
            engagement=engagement,
            by=jordan,
            owner=manager,
            title="Show their planners what the saved filters of the delivery report do today",
            detail="They rebuild it in Excel every Monday. Show them what works now, before Product answers on "
            "the rest.",
            due_on=ctx.today + dt.timedelta(days=4),
            now=at + dt.timedelta(minutes=12),
        )
        action_status_set(
            action=report,
            by=manager,
            status=ActionItem.Status.IN_PROGRESS,
            note="Call with their planning lead booked for Thursday.",
            now=today_start - dt.timedelta(days=3, hours=-15),
        )
    action_create(
        engagement=engagement,
        by=jordan,
        owner=jordan,
        title="Write to their operations director with what we are doing about the report and the invoices",
        due_on=max(ctx.today - dt.timedelta(days=2), (at + dt.timedelta(days=1)).date()),
        now=at + dt.timedelta(minutes=14),
    )
    _surveys_sent(engagement, by=manager or jordan, at=held_at + dt.timedelta(hours=2))
    _answer(
        engagement,
        value=5,
        recommend=9,
        differently="Nothing to change about the meeting itself. Now we would like to see the report fixed.\n\n"
        "Thank you for listening to our planners and not only to me.",
        at=held_at + dt.timedelta(days=1, hours=4),
    )
    _answer(
        engagement,
        value=4,
        recommend=8,
        differently="Send the notes a little sooner, so we can share them with our sites while it is fresh.",
        at=held_at + dt.timedelta(days=3, hours=1),
    )


def _routed_to_lead(
    ctx: DemoContext, executive: Executive, led: Function, manager: User, themes: dict[str, Theme], story: set[int]
) -> set[int]:
    """Another executive's meeting, where the customer raised something the
    demo executive's function owns: debriefed, and routed to them."""
    today_start = dt.datetime.combine(ctx.today, dt.time.min, tzinfo=dt.UTC)
    leads = (
        EngagementExecutive.objects.filter(
            role=EngagementExecutive.Role.LEAD,
            executive__active=True,
            engagement__status=Engagement.Status.COMPLETED,
            engagement__starts_at__range=(today_start - dt.timedelta(days=30), today_start - dt.timedelta(days=5)),
        )
        .exclude(executive=executive)
        .exclude(executive__function=led)
        .exclude(engagement__in=story)
        .exclude(engagement__attendances__executive=executive)
        .select_related("executive__user", "engagement__account", "engagement__type")
        .order_by("-engagement__starts_at", "-pk")
    )
    lead = leads.filter(engagement__account__account_manager=manager).first() or leads.first()
    if lead is None:
        return set()
    ask = ROUTED_ASKS[led.name]
    engagement, author = lead.engagement, lead.executive.user
    at = min(engagement.status_changed_at + dt.timedelta(hours=18), today_start - dt.timedelta(hours=2))
    _debrief(
        engagement=engagement,
        author=author,
        fields={
            "heard": f"{ask.quote}\n\nWe like working with your people. We are tired of chasing the same things.",
            "surprised": "How calmly they said it: they have stopped expecting us to fix it.",
            "insights": "It is not my area, but it is the first thing they will ask me next time.",
            "issues_raised": ask.detail,
            "sentiment": -1,
            "follow_up_on": ctx.today + dt.timedelta(days=30),
        },
        themes=[themes[ask.theme]],
        now=at,
    )
    action_create(
        engagement=engagement,
        by=author,
        function=led,
        title=ask.title,
        detail=ask.detail,
        due_on=ctx.today + dt.timedelta(days=3),
        now=at + dt.timedelta(minutes=8),
    )
    return {engagement.pk}


def _notifications_read(first_new: int, *, before: dt.datetime) -> None:
    """The story's notifications older than ``before`` have been read, the
    morning after they came; the recent ones wait."""
    seen = list(Notification.objects.filter(pk__gte=first_new, created_at__lt=before, read_at__isnull=True))
    for notification in seen:
        notification.read_at = notification.created_at + dt.timedelta(hours=20)
    Notification.objects.bulk_update(seen, ["read_at"])
