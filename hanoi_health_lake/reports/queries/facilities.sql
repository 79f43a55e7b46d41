-- The registry's facilities with what a report prints about them: no patients, only the
-- facility and its own data-delivery contact (optional registry columns, null when not given).
select
    facility_code,
    name as facility_name,
    facility_type,
    ownership,
    ward_code,
    ward_name,
    contact_name,
    contact_phone,
    contact_email
from lake.facilities
order by facility_code
