-- QĐ 130 dossier tables received but not yet used (kept in bronze) over the period, per table:
-- from mart_received_unused_daily.
select
    table_name,
    count(distinct facility_code) as facilities,
    sum(files) as files,
    sum(records) as records
from mart_received_unused_daily
where service_date between $start and $end
group by table_name
order by table_name
