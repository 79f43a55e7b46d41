-- Facilities silent on the bulletin's day (mart_facility_silence_daily), with their registry
-- name and ward; the longest silences first.
select
    silence.facility_code,
    facilities.name as facility_name,
    silence.facility_type,
    silence.ward_code,
    facilities.ward_name,
    silence.silent_since,
    silence.days_without_delivery
from mart_facility_silence_daily as silence
left join lake.facilities as facilities on facilities.facility_code = silence.facility_code
where silence.service_date = $end and silence.is_silent
order by silence.days_without_delivery desc, silence.facility_code
