"""What the pages and the API say for the rules' codes: the steps of a round and what happens when
a step's period passes."""

from django.utils.translation import gettext_lazy as _, pgettext_lazy

from gonghui.bargaining.rules import Step

STEPS = {
    Step.OFFER: _("Written offer"),
    Step.REPLY: _("Written reply"),
    Step.TALKS: _("Talks start"),
    Step.VOTE: _("Vote on the draft"),
    Step.SIGN: pgettext_lazy("bargaining", "Signing"),
    Step.FILE: _("Filing with the labour bureau"),
    Step.REVIEW: _("Bureau's review"),
    Step.ANNOUNCE: _("Announcement to the workers"),
}

# What the law gives each step (shown beside its deadline).
PERIODS = {
    Step.REPLY: _("within 20 days of the offer"),
    Step.TALKS: _("within 10 working days of the reply"),
    Step.VOTE: _("the workers' congress, or all workers: two thirds present, more than half of all in favour"),
    Step.SIGN: _("no period set by law"),
    Step.FILE: _("within 7 days of signing"),
    Step.REVIEW: _("no objection within 15 days: in force"),
    Step.ANNOUNCE: _("within 5 days of entering into force"),
}

CONSEQUENCES = {
    "no_reply": _("The side that made the offer may ask the labour bureau to step in and coordinate (协调处理)."),
    "no_talks": _("Refusing or delaying talks: the union may report it to the higher union and ask the labour "
                  "bureau to coordinate."),
    "none": _("The law sets no period for this step; keep the round moving."),
    "not_filed": _("Until it is filed the contract cannot take effect: the bureau's 15 days only start when it "
                   "receives the text."),
    "in_force": _("If the bureau raises no objection by then, the contract is in force the next day."),
    "not_announced": _("The contract binds, but the workers do not know its terms: announce it at once."),
}
