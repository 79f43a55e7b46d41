-- description: Each facility's status against the city's phase targets (seed phase_targets),
--   as of the latest service day in mart_coverage_daily.
-- materialized: table
-- columns:
--   as_of_date: Latest service day in mart_coverage_daily; the status holds on that day.
--   phase: Phase of the city plan (1, 2, 3).
--   phase_name_vi: The phase in Vietnamese.
--   phase_name_en: The phase in English.
--   deadline: The phase's deadline.
--   requirement: connected (every required dataset delivered at least once), on_time (first
--     files by the deadline of sla_settings) or real_time (first files within max_lag_hours of
--     the day's end), the last two on at least min_share of the expected days in the last
--     phase_window_days days.
--   facility_code: Facility code (MA_CSKCB).
--   facility_type: Registry facility type.
--   ownership: Registry ownership.
--   ward_code: Ward or commune where the facility is.
--   datasets_required: Datasets the phase requires of the facility (its registry datasets, or
--     those the phase names among them).
--   datasets_connected: Required datasets delivered at least once by as_of_date.
--   connected_date: Day the last required dataset was first delivered; NULL until all are.
--   expected_days: Expected facility-dataset days of required datasets in those days.
--   on_time_share: Share of those days whose first file came by the deadline.
--   within_lag_share: Share of those days whose first file came within max_lag_hours of the
--     day's end; NULL for a phase that sets no max_lag_hours.
--   due_from: First day the facility is expected to deliver (int_facility_due); NULL if never.
--   is_due: The facility is due on as_of_date (due_from <= as_of_date), the rule coverage uses.
--   is_met: The requirement holds on as_of_date.
--   status: met, met_late (connected after the deadline), not_due (not met and the facility is
--     not due yet: its go-live date is ahead or unset, whatever the phase deadline), overdue (due,
--     not met, deadline passed) or pending (due, not met, deadline ahead).
--   days_to_deadline: Days from as_of_date to the deadline (negative once passed).

-- A phase applies to facilities whose ownership and type match its LIKE patterns.

with facilities as (

    select * from lake.facilities

),

settings as (

    select * from int_settings

),

due as (

    select * from int_facility_due

),

targets as (

    select
        cast(phase as integer) as phase,
        name_vi,
        name_en,
        cast(deadline as date) as deadline,
        ownership_like,
        facility_type_like,
        coalesce(string_split(datasets, ';'), cast([] as varchar[])) as datasets,
        requirement,
        cast(min_share as double) as min_share,
        cast(max_lag_hours as double) as max_lag_hours
    from phase_targets

),

as_of as (

    select max(service_date) as as_of_date
    from mart_coverage_daily

),

coverage as (

    select mart_coverage_daily.*
    from mart_coverage_daily
    cross join as_of
    cross join settings
    where
        mart_coverage_daily.service_date
        between as_of.as_of_date - (settings.phase_window_days - 1) and as_of.as_of_date

),

in_scope as (

    select
        targets.*,
        facilities.facility_code,
        facilities.facility_type,
        facilities.ownership,
        facilities.ward_code,
        due.due_from,
        case
            when len(targets.datasets) = 0 then facilities.datasets
            else list_intersect(facilities.datasets, targets.datasets)
        end as required_datasets
    from targets
    inner join facilities
        on
            facilities.ownership like targets.ownership_like
            and facilities.facility_type like targets.facility_type_like
    left join due on due.facility_code = facilities.facility_code

),

required as (

    select
        phase,
        facility_code,
        max_lag_hours,
        unnest(required_datasets) as dataset
    from in_scope

),

connected_now as (

    select
        required.phase,
        required.facility_code,
        count(*) filter (where coverage.is_connected) as datasets_connected,
        max(coverage.connected_since) as last_first_delivery
    from required
    cross join as_of
    left join coverage
        on
            coverage.facility_code = required.facility_code
            and coverage.dataset = required.dataset
            and coverage.service_date = as_of.as_of_date
    group by required.phase, required.facility_code

),

window_days as (

    select
        required.phase,
        required.facility_code,
        count(*) as expected_days,
        avg(case when coverage.is_on_time then 1 else 0 end) as on_time_share,
        avg(
            case
                when required.max_lag_hours is null then null
                when coverage.first_lag_hours <= required.max_lag_hours then 1
                else 0
            end
        ) as within_lag_share
    from required
    inner join coverage
        on
            coverage.facility_code = required.facility_code
            and coverage.dataset = required.dataset
            and coverage.is_expected
    group by required.phase, required.facility_code

),

judged as (

    select
        as_of.as_of_date,
        in_scope.phase,
        in_scope.name_vi as phase_name_vi,
        in_scope.name_en as phase_name_en,
        in_scope.deadline,
        in_scope.requirement,
        in_scope.facility_code,
        in_scope.facility_type,
        in_scope.ownership,
        in_scope.ward_code,
        in_scope.due_from,
        coalesce(in_scope.due_from <= as_of.as_of_date, false) as is_due,
        len(in_scope.required_datasets) as datasets_required,
        coalesce(connected_now.datasets_connected, 0) as datasets_connected,
        coalesce(window_days.expected_days, 0) as expected_days,
        window_days.on_time_share,
        window_days.within_lag_share,
        in_scope.min_share,
        case
            when len(in_scope.required_datasets) > 0
                and connected_now.datasets_connected = len(in_scope.required_datasets)
                then connected_now.last_first_delivery
        end as connected_date
    from in_scope
    cross join as_of
    left join connected_now
        on
            connected_now.phase = in_scope.phase
            and connected_now.facility_code = in_scope.facility_code
    left join window_days
        on
            window_days.phase = in_scope.phase
            and window_days.facility_code = in_scope.facility_code

),

met as (

    select
        *,
        coalesce(
            connected_date is not null
            and case requirement
                when 'connected' then true
                when 'on_time' then on_time_share >= min_share
                when 'real_time' then within_lag_share >= min_share
                else error('phase_targets: unknown requirement ' || requirement)
            end,
            false
        ) as is_met
    from judged

),

final as (

    select
        as_of_date,
        phase,
        phase_name_vi,
        phase_name_en,
        deadline,
        requirement,
        facility_code,
        facility_type,
        ownership,
        ward_code,
        datasets_required,
        datasets_connected,
        connected_date,
        expected_days,
        on_time_share,
        within_lag_share,
        due_from,
        is_due,
        is_met,
        case
            when is_met and (requirement <> 'connected' or connected_date <= deadline) then 'met'
            when is_met then 'met_late'
            when not is_due then 'not_due'
            when as_of_date > deadline then 'overdue'
            else 'pending'
        end as status,
        date_diff('day', as_of_date, deadline) as days_to_deadline
    from met

)

select * from final
