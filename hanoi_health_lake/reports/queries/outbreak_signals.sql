-- Outbreak signals of the bulletin's trend days (mart_outbreak_signals_daily: small ward counts
-- and their thresholds already withheld, `suppressed` set).
select *
from mart_outbreak_signals_daily
where service_date between $trend_start and $end
order by service_date, group_id, geo_level, ward_code
