-- Encounters with a notifiable disease per patient's ward and disease group over the period,
-- from mart_disease_counts_daily, whose daily counts below suppress_below are already withheld:
-- the sum here covers the published days only, and says how many days were withheld.
select
    ward_code,
    category as group_id,
    any_value(category_name_vi) as name_vi,
    any_value(category_name_en) as name_en,
    any_value(notifiable_class) as notifiable_class,
    sum(cases) as published_cases,
    count(*) filter (where suppressed) as suppressed_days
from mart_disease_counts_daily
where
    service_date between $start and $end
    and classification = 'disease_group'
    and notifiable_class is not null
group by ward_code, category
