-- Where each rejected record or file sits, for the facility to find and fix it: the delivered
-- file and the position in it (row, line, entry). No payload and no record content: the
-- warehouse copy of the quarantine has none, and the reason text (which may quote values) is
-- left out. At most $per_rule locators per facility and rule.
with entries as (

    select
        facility_code,
        dataset,
        service_date,
        source_file,
        record_no,
        locator,
        unnest(rule_ids) as rule_id
    from lake.quarantine
    where service_date between $start and $end

),

ranked as (

    select
        *,
        row_number() over (
            partition by facility_code, rule_id
            order by service_date, source_file, record_no nulls first
        ) as n,
        count(*) over (partition by facility_code, rule_id) as of_rule
    from entries

)

select
    facility_code,
    rule_id,
    dataset,
    service_date,
    source_file,
    record_no,
    locator,
    of_rule
from ranked
where n <= $per_rule
order by facility_code, rule_id, n
