-- description: Epidemic signals per disease group, geography (city or ward of residence) and
--   service day, from the aberration detection of the surveillance assets; ward counts below 5
--   are published as NULL, and signals computed while the ward's facilities under-reported are
--   flagged, so a reporting gap never reads as a fall in disease.
-- materialized: incremental
-- unique_key: service_date
-- columns:
--   service_date: Day the cases were seen (Asia/Ho_Chi_Minh).
--   group_id: Disease group (disease_groups reference table).
--   geo_level: city or ward.
--   ward_code: Ward or commune of residence; NULL for the city series.
--   observed: New cases that day; NULL when suppressed.
--   expected: Baseline mean the method compares against.
--   upperbound: Threshold above which the day alarms, never below expected; NULL when suppressed,
--     and NULL (why says "carried over") when the alarm is carried by the previous days (EARS
--     C3: their excesses alone exceed the limit, so the day has no threshold of its own).
--   alarm: The observed count exceeded the upper bound.
--   method: Detection method (ears-c1, ears-c2, ears-c3, ears-c3-r, cusum, farrington, noufaily).
--   status: ok (the method ran), short_history (too little history for any method) or the
--     method's own reason for no verdict (low_counts, no_fit).
--   why: Why this method ran, from the length of the history, and why a bound is missing.
--   history_days: Days of history the series had.
--   reporting_share: Share of the geography's expected reporting that came that day.
--   computed_on_incomplete_data: The geography's reporting share that day was under the threshold.
--   baseline_incomplete_days: Incomplete days inside the method's baseline (an alarm may then be
--     reports coming back rather than disease).
--   suppressed: A ward count below 5, withheld from publication.

with signals as (

    select * from lake.outbreak_signals
    where service_date between getvariable('start_date') and getvariable('end_date')

),

final as (

    select
        service_date,
        group_id,
        geo_level,
        ward_code,
        case when suppressed then null else observed end as observed,
        expected,
        case when suppressed then null else upperbound end as upperbound,
        alarm,
        method,
        status,
        why,
        history_days,
        reporting_share,
        computed_on_incomplete_data,
        baseline_incomplete_days,
        suppressed
    from signals

)

select * from final
