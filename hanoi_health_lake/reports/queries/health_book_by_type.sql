-- The citizen's health book per facility type over the period: episodes accepted, sent,
-- withheld, and how soon they reached the book against the 24-hour rule.
select
    coalesce(facility_type, 'unregistered') as facility_type,
    sum(episodes_accepted) as episodes_accepted,
    sum(episodes_sent) as episodes_sent,
    sum(withheld_no_citizen_id) as withheld_no_citizen_id,
    sum(withheld_opted_out + withheld_category) as withheld_by_citizen_or_category,
    sum(episodes_sent) / nullif(sum(episodes_accepted), 0) as sent_share,
    sum(sent_within_24h) / nullif(sum(episodes_sent), 0) as within_24h_share,
    median(median_hours_to_book) as book_p50_hours
from mart_health_book_timeliness_daily
where service_date between $start and $end
group by 1
