-- description: The citizen's health book per facility and service day: episodes accepted, sent
--   to the book, withheld (no citizen id, opted out, withheld category), and the hours from the
--   episode's end (discharge) to the first document carrying it, against the 24-hour rule
--   (QĐ 1332/QĐ-BYT).
-- materialized: incremental
-- unique_key: service_date
-- columns:
--   service_date: Day the care happened (Asia/Ho_Chi_Minh).
--   facility_code: Facility code (MA_CSKCB).
--   facility_type: Registry facility type; NULL for a code not in the registry.
--   episodes_accepted: Accepted encounters (episodes) of the day.
--   episodes_sent: Episodes sent to the citizen's book.
--   withheld_no_citizen_id: Episodes not sent: no usable citizen id (CCCD).
--   withheld_opted_out: Episodes not sent: the citizen opted out.
--   withheld_category: Episodes not sent: a category withheld (HIV care, or the citizen's own
--     restriction).
--   median_hours_to_book: Median hours from discharge to the first document carrying the episode.
--   p90_hours_to_book: 90th percentile of those hours.
--   sent_within_24h: Episodes that reached the book within 24 hours of discharge.
--   share_within_24h: sent_within_24h / episodes_sent; NULL when nothing was sent.

with entries as (

    select * from stg_health_book_entries
    where service_date between getvariable('start_date') and getvariable('end_date')

),

facilities as (

    select * from lake.facilities

),

timed as (

    select
        *,
        (epoch(first_sent_at) - epoch(discharged_at)) / 3600.0 as hours_to_book
    from entries

),

per_facility as (

    select
        service_date,
        facility_code,
        count(*) as episodes_accepted,
        count(*) filter (where outcome = 'sent') as episodes_sent,
        count(*) filter (where outcome = 'no_citizen_id') as withheld_no_citizen_id,
        count(*) filter (where outcome = 'opted_out') as withheld_opted_out,
        count(*) filter (where outcome = 'withheld_category') as withheld_category,
        median(hours_to_book) filter (where outcome = 'sent') as median_hours_to_book,
        quantile_cont(hours_to_book, 0.9) filter (where outcome = 'sent') as p90_hours_to_book,
        count(*) filter (where outcome = 'sent' and hours_to_book <= 24) as sent_within_24h
    from timed
    group by service_date, facility_code

),

final as (

    select
        per_facility.service_date,
        per_facility.facility_code,
        facilities.facility_type,
        per_facility.episodes_accepted,
        per_facility.episodes_sent,
        per_facility.withheld_no_citizen_id,
        per_facility.withheld_opted_out,
        per_facility.withheld_category,
        round(per_facility.median_hours_to_book, 1) as median_hours_to_book,
        round(per_facility.p90_hours_to_book, 1) as p90_hours_to_book,
        per_facility.sent_within_24h,
        case
            when per_facility.episodes_sent > 0
                then round(per_facility.sent_within_24h / per_facility.episodes_sent, 4)
        end as share_within_24h
    from per_facility
    left join facilities on facilities.facility_code = per_facility.facility_code

)

select * from final
