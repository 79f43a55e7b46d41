-- The registry's facilities with what a report prints about them (no people: facilities only).
select
    facility_code,
    name as facility_name,
    facility_type,
    ownership,
    ward_code,
    ward_name
from lake.facilities
order by facility_code
