"""Events published by the scheduling service on topic `together.scheduling`.

Times and participants only: session notes, feedback comments, agreements, assessment items and
survey comments never travel in an event; a survey's scores and how many assessed items were met do.

Calendar invitations. Every booking, change and cancellation carries what an iCalendar
(RFC 5545) invitation needs, so a subscriber (notifications) builds it with
`together_servicekit.invitations.invitation(...)` without asking scheduling:

- `calendar_uid`: the invitation's UID, stable for the life of the session or series;
- `calendar_sequence`: its SEQUENCE, 0 when booked, one more on each change or cancellation;
- `starts_at` (UTC instant) with `time_zone` (the organiser's IANA zone: the invitation's TZID),
  `duration_minutes`, `agenda_title` (the SUMMARY), and on a booking `agenda_themes`: the session
  plan's agenda content (what the session covers; programme text, about nobody);
- series: `rrule` (the RRULE value, e.g. `FREQ=WEEKLY;INTERVAL=2;COUNT=8`), read in `time_zone`:
  each occurrence keeps the first one's local wall-clock time across daylight-saving changes;
- an occurrence of a series changed or cancelled alone: `series_id` and `recurrence_id` (the
  occurrence's original start), and the invitation's UID is the series' UID;
- `organiser_id` (the partner who booked) and `participant_ids` = [mentee, mentor] (the attendees).

The GET endpoints `/sessions/{id}/invitation.ics` and `/series/{id}/invitation.ics` serve the
current invitation of a session or series.

A cohort's timetable (a career week): `TimetableEntryPublished`, `...Changed`, `...Cancelled`, keyed
by the entry's id. Public programme facts about no one: title, kind, language, start, duration, and
the calendar entry's UID and SEQUENCE (`/timetable-entries/{id}/calendar.ics`, METHOD:PUBLISH).
"""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from pydantic import AwareDatetime, Field

from together_contracts.fields import INT32_MAX, TimeZoneName
from together_events.registry import Event, register


class CompletedBy(StrEnum):
    marked_done = "marked_done"
    end_time_passed = "end_time_passed"


class CancelledBecause(StrEnum):
    partner_cancelled = "partner_cancelled"  # a partner cancelled it through the API
    pairing_ended = "pairing_ended"  # PairingEnded: future sessions of the pairing are cancelled
    participant_withdrawn = "participant_withdrawn"  # ParticipantWithdrawn: the same, for a partner who left


class _SchedulingEvent(Event):
    service = "scheduling"
    aggregate = "session"


_UID = "the invitation's UID (RFC 5545), stable for the session or series"
_THEMES = "the session plan's agenda content for it: the themes the session covers (programme text), in order"
_SEQUENCE = "the invitation's SEQUENCE: 0 when booked, +1 on each change or cancellation"


@register
class SessionScheduled(_SchedulingEvent):
    """A partner booked a single session of the pairing.

    Tell both partners (participant_ids) and send each the invitation (METHOD:REQUEST),
    showing the time in each one's own time zone. Occurrences of a series are not announced
    one by one: `SeriesScheduled` announces them all."""

    session_id: UUID
    pairing_id: UUID
    participant_ids: list[UUID] = Field(min_length=2, max_length=2)
    starts_at: AwareDatetime
    time_zone: TimeZoneName
    duration_minutes: int = Field(gt=0, le=INT32_MAX)
    organiser_id: UUID | None = Field(default=None, description="the partner who booked: the invitation's ORGANIZER")
    agenda_title: str | None = Field(default=None, description="the session plan's agenda item: the invitation's SUMMARY")
    calendar_uid: str | None = Field(default=None, description=_UID)
    calendar_sequence: int = Field(default=0, ge=0, le=INT32_MAX, description=_SEQUENCE)
    agenda_themes: list[str] = Field(default_factory=list, description=_THEMES)


@register
class SeriesScheduled(_SchedulingEvent):
    """A partner booked a recurring series of sessions (every N weeks or monthly, a count or an end date).

    Tell both partners and send each ONE invitation (METHOD:REQUEST) with the RRULE, its
    DTSTART in `time_zone` (VTIMEZONE + TZID, so the local wall-clock time holds across
    daylight-saving changes). `occurrence_starts` lists the instants the rule expands to."""

    aggregate = "series"
    series_id: UUID
    pairing_id: UUID
    participant_ids: list[UUID] = Field(min_length=2, max_length=2)
    organiser_id: UUID
    starts_at: AwareDatetime = Field(description="the first occurrence")
    time_zone: TimeZoneName
    duration_minutes: int = Field(gt=0, le=INT32_MAX)
    rrule: str = Field(description="the RRULE value, e.g. FREQ=MONTHLY;COUNT=5, read in time_zone")
    occurrence_starts: list[AwareDatetime] = Field(min_length=1)
    session_ids: list[UUID] = Field(min_length=1, description="one per occurrence, in order")
    agenda_title: str
    calendar_uid: str = Field(description=_UID)
    calendar_sequence: int = Field(ge=0, le=INT32_MAX, description=_SEQUENCE)
    agenda_themes: list[str] = Field(
        default_factory=list, description=f"{_THEMES}: of the first occurrence (each one's: GET /pairings/{{id}}/sessions)"
    )


@register
class SeriesRescheduled(_SchedulingEvent):
    """A partner moved a whole series (before its first occurrence): new first start, zone,
    duration or rule. Tell both partners; send the updated invitation (METHOD:REQUEST, same
    UID, higher SEQUENCE)."""

    aggregate = "series"
    series_id: UUID
    pairing_id: UUID
    participant_ids: list[UUID] = Field(min_length=2, max_length=2)
    organiser_id: UUID
    previous_starts_at: AwareDatetime
    starts_at: AwareDatetime
    time_zone: TimeZoneName
    duration_minutes: int = Field(gt=0, le=INT32_MAX)
    rrule: str
    occurrence_starts: list[AwareDatetime] = Field(min_length=1)
    session_ids: list[UUID] = Field(min_length=1)
    agenda_title: str
    calendar_uid: str = Field(description=_UID)
    calendar_sequence: int = Field(ge=0, le=INT32_MAX, description=_SEQUENCE)
    rescheduled_at: AwareDatetime


@register
class SeriesCancelled(_SchedulingEvent):
    """A whole series was cancelled (by a partner, or because the pairing ended or a partner
    withdrew). Tell both partners; send METHOD:CANCEL for the series' UID (SEQUENCE one higher).
    `cancelled_session_ids`: the occurrences that had not taken place."""

    aggregate = "series"
    series_id: UUID
    pairing_id: UUID
    participant_ids: list[UUID] = Field(min_length=2, max_length=2)
    organiser_id: UUID
    starts_at: AwareDatetime
    time_zone: TimeZoneName
    duration_minutes: int = Field(gt=0, le=INT32_MAX)
    rrule: str
    cancelled_session_ids: list[UUID]
    agenda_title: str
    calendar_uid: str = Field(description=_UID)
    calendar_sequence: int = Field(ge=0, le=INT32_MAX, description=_SEQUENCE)
    reason: CancelledBecause
    cancelled_at: AwareDatetime


@register
class SessionRescheduled(_SchedulingEvent):
    """A partner moved one session: a single session, or one occurrence of a series
    (`series_id` and `recurrence_id` set; the invitation then carries RECURRENCE-ID and the
    series' UID). Tell both partners; send METHOD:REQUEST with the higher SEQUENCE."""

    session_id: UUID
    pairing_id: UUID
    participant_ids: list[UUID] = Field(min_length=2, max_length=2)
    organiser_id: UUID
    previous_starts_at: AwareDatetime
    starts_at: AwareDatetime
    time_zone: TimeZoneName
    duration_minutes: int = Field(gt=0, le=INT32_MAX)
    agenda_title: str
    calendar_uid: str = Field(description=_UID)
    calendar_sequence: int = Field(ge=0, le=INT32_MAX, description=_SEQUENCE)
    series_id: UUID | None = None
    recurrence_id: AwareDatetime | None = Field(default=None, description="an occurrence: its original start")
    rescheduled_at: AwareDatetime


@register
class SessionCancelled(_SchedulingEvent):
    """One session was cancelled: a single session, or one occurrence of a series (then
    `series_id` and `recurrence_id` are set). Tell both partners; send METHOD:CANCEL for
    `calendar_uid` (with RECURRENCE-ID for an occurrence) and the higher SEQUENCE."""

    session_id: UUID
    pairing_id: UUID
    participant_ids: list[UUID] = Field(min_length=2, max_length=2)
    organiser_id: UUID
    starts_at: AwareDatetime
    time_zone: TimeZoneName
    duration_minutes: int = Field(gt=0, le=INT32_MAX)
    agenda_title: str
    calendar_uid: str = Field(description=_UID)
    calendar_sequence: int = Field(ge=0, le=INT32_MAX, description=_SEQUENCE)
    series_id: UUID | None = None
    recurrence_id: AwareDatetime | None = Field(default=None, description="an occurrence: its original start")
    reason: CancelledBecause
    cancelled_at: AwareDatetime


@register
class SessionCompleted(_SchedulingEvent):
    """A session took place (marked done by a partner, or its end time passed; once per session). A
    session held outside the platform and recorded afterwards is marked done too: `SessionRecorded`
    comes first for it, instead of `SessionScheduled`.

    Ask BOTH partners for feedback on it (a rating 1-5 and a short comment, given with
    `POST /sessions/{session_id}/feedback`)."""

    session_id: UUID
    pairing_id: UUID
    participant_ids: list[UUID] = Field(min_length=2, max_length=2)
    completed_at: AwareDatetime
    completed_by: CompletedBy
    series_id: UUID | None = Field(default=None, description="set when the session is an occurrence of a series")
    agenda_title: str | None = Field(default=None, description="the session plan's agenda item")


@register
class SessionRecorded(_SchedulingEvent):
    """A partner recorded, afterwards, a session the pair held outside the platform (arranged in
    Outlook, Teams or elsewhere): it was never booked here, so no invitation goes with it.

    It counts as a session that took place: `SessionCompleted` follows for the same `session_id` (the
    same key, so in this order, `completed_by` `marked_done`), and it is that event that asks both
    partners for feedback. Nobody needs a message for this one."""

    session_id: UUID
    pairing_id: UUID
    participant_ids: list[UUID] = Field(min_length=2, max_length=2)
    recorded_by: UUID = Field(description="the partner who recorded it")
    starts_at: AwareDatetime = Field(description="when it was held")
    time_zone: TimeZoneName = Field(description="the zone the partner gave the start in")
    duration_minutes: int = Field(gt=0, le=INT32_MAX)
    agenda_title: str = Field(description="the session plan's agenda item it counts for")
    agenda_themes: list[str] = Field(default_factory=list, description=_THEMES)
    recorded_at: AwareDatetime


@register
class FeedbackGiven(_SchedulingEvent):
    """A partner rated a completed session. The comment stays in scheduling's database.
    Nobody needs a message; analytics may count ratings."""

    session_id: UUID
    pairing_id: UUID
    participant_id: UUID
    rating: int = Field(ge=1, le=5)
    given_at: AwareDatetime


@register
class NextSessionReminderDue(_SchedulingEvent):
    """A session was completed and the pairing has no future session booked: remind BOTH
    partners to book the next one (`next_agenda_title`: the plan's next agenda item, if any)."""

    aggregate = "pairing"
    pairing_id: UUID
    participant_ids: list[UUID] = Field(min_length=2, max_length=2)
    after_session_id: UUID
    sessions_completed: int = Field(ge=1, le=INT32_MAX)
    sessions_planned: int = Field(ge=0, le=INT32_MAX)
    next_agenda_title: str | None = None
    reminded_at: AwareDatetime


@register
class SeriesEnded(_SchedulingEvent):
    """A series was cancelled part-way: some occurrences had already taken place (or started), so
    the series ENDS instead of vanishing. Tell both partners; send the updated invitation
    (METHOD:REQUEST, same UID, SEQUENCE one higher) whose `rrule` now ends with UNTIL (UTC, just
    before `ends_before`), with `exdates` (occurrences cancelled before the end, as EXDATE): calendars
    keep the held occurrences and drop the cancelled ones. `cancelled_session_ids`: the occurrences
    that had not started. When no occurrence had started, `SeriesCancelled` is sent instead."""

    aggregate = "series"
    series_id: UUID
    pairing_id: UUID
    participant_ids: list[UUID] = Field(min_length=2, max_length=2)
    organiser_id: UUID
    starts_at: AwareDatetime = Field(description="the first occurrence (the invitation's DTSTART)")
    time_zone: TimeZoneName
    duration_minutes: int = Field(gt=0, le=INT32_MAX)
    rrule: str = Field(description="the rule ending with UNTIL (UTC), e.g. FREQ=WEEKLY;INTERVAL=1;UNTIL=20270301T135959Z")
    previous_rrule: str
    ends_before: AwareDatetime = Field(description="the original start of the first cancelled occurrence")
    last_held_at: AwareDatetime = Field(description="the original start of the last occurrence that stays")
    exdates: list[AwareDatetime] = Field(default_factory=list, description="occurrences before the end that are cancelled")
    held_session_ids: list[UUID] = Field(min_length=1)
    cancelled_session_ids: list[UUID]
    agenda_title: str
    calendar_uid: str = Field(description=_UID)
    calendar_sequence: int = Field(ge=0, le=INT32_MAX, description=_SEQUENCE)
    reason: CancelledBecause
    ended_at: AwareDatetime


# The timetable of a cohort (a career week): public programme facts, published by the programme team.


class TimetableEntryKind(StrEnum):
    presentation = "presentation"  # "Pres" in the timetable
    discussion = "discussion"  # "PD": a panel discussion
    clinic = "clinic"


class TimetableLanguage(StrEnum):
    english = "English"  # "E" in the timetable
    french = "French"  # "F"
    spanish = "Spanish"  # "S"


_ENTRY_TITLE = "the programme's title for it, in the language it is given in"
_ENTRY_UID = "the calendar entry's UID (RFC 5545), stable for the timetable entry"
_ENTRY_ZONE = "the zone the start was entered in: the calendar entry's TZID"
_ENTRY_SEQUENCE = "the calendar entry's SEQUENCE: 0 when published, +1 on each change or cancellation"


class _TimetableEvent(_SchedulingEvent):
    """An entry's full state, as each of its events carries it: a subscriber needs no earlier event."""

    aggregate = "timetable_entry"
    timetable_entry_id: UUID
    cohort_id: UUID
    programme_id: UUID
    title: str = Field(description=_ENTRY_TITLE)
    kind: TimetableEntryKind
    language: TimetableLanguage = Field(description="the language it is given in")
    starts_at: AwareDatetime
    time_zone: TimeZoneName = Field(description=_ENTRY_ZONE)
    duration_minutes: int = Field(gt=0, le=INT32_MAX)
    calendar_uid: str = Field(description=_ENTRY_UID)
    calendar_sequence: int = Field(ge=0, le=INT32_MAX, description=_ENTRY_SEQUENCE)


@register
class TimetableEntryPublished(_TimetableEvent):
    """The programme team published an entry of a cohort's timetable (a career week's presentation,
    discussion or clinic): everyone in the programme lists it in their own zone and in New York,
    Europe (Geneva), Nairobi and Bangkok at once. A subscriber builds its calendar entry
    (METHOD:PUBLISH, no attendees) from these fields alone."""

    published_at: AwareDatetime


@register
class TimetableEntryChanged(_TimetableEvent):
    """The programme team changed a timetable entry before it started: its full state now (title, kind,
    language, start, zone, duration). Calendars update it: same UID, higher SEQUENCE."""

    previous_starts_at: AwareDatetime
    changed_at: AwareDatetime


@register
class TimetableEntryCancelled(_TimetableEvent):
    """The programme team cancelled a timetable entry before it started: it leaves the timetable;
    calendars drop it (METHOD:CANCEL, same UID, higher SEQUENCE)."""

    cancelled_at: AwareDatetime


# Outcomes: what each participant is asked at the start and at the end of a cohort, and their answers' scores.


class OutcomeKind(StrEnum):
    pre_survey = "pre_survey"  # asked at registration: `PUT /participants/{participant_id}/surveys/pre`
    post_survey = "post_survey"  # asked at the end: `PUT /participants/{participant_id}/surveys/post`
    final_assessment = "final_assessment"  # asked at the end: `PUT /pairings/{pairing_id}/assessment`


@register
class OutcomeRequested(_SchedulingEvent):
    """A participant is asked, once, for a survey or for the final assessment of a pairing: tell them
    (the pre-programme survey at registration; the post-programme survey and the final assessment when
    their pairing completes or ends). `remind_at`: when a reminder follows if still unanswered (a
    working day where the participant works)."""

    aggregate = "participant"
    participant_id: UUID
    cohort_id: UUID
    pairing_id: UUID | None = Field(default=None, description="the final assessment and post-survey: the pairing it is about")
    kind: OutcomeKind
    requested_at: AwareDatetime
    remind_at: AwareDatetime | None = None


@register
class OutcomeReminderDue(_SchedulingEvent):
    """The participant has not answered what `OutcomeRequested` asked: remind them, once."""

    aggregate = "participant"
    participant_id: UUID
    cohort_id: UUID
    pairing_id: UUID | None = None
    kind: OutcomeKind
    reminded_at: AwareDatetime


class SurveyKind(StrEnum):
    pre = "pre"
    post = "post"


@register
class SurveyAnswered(_SchedulingEvent):
    """A participant answered (or revised) a survey of their cohort: the scores (1-5) only; the comment
    stays in scheduling's database. The last answer of each kind counts."""

    aggregate = "participant"
    participant_id: UUID
    cohort_id: UUID
    survey: SurveyKind
    confidence: int = Field(ge=1, le=5, description="confidence in the skills and goals the programme is about")
    satisfaction: int | None = Field(default=None, ge=1, le=5, description="post-programme survey only")
    answered_at: AwareDatetime


@register
class FinalAssessmentGiven(_SchedulingEvent):
    """A pairing's final assessment was given (or revised): how many of the agreement's skills and goals
    were rated, and how many met (rated 4 or 5 of 5). The items, ratings' comments and summary stay in
    scheduling's database. The last assessment of a pairing counts."""

    aggregate = "pairing"
    pairing_id: UUID
    cohort_id: UUID
    participant_id: UUID = Field(description="the partner who gave it")
    items_rated: int = Field(ge=1, le=INT32_MAX)
    items_met: int = Field(ge=0, le=INT32_MAX)
    given_at: AwareDatetime
