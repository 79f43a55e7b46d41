-- description: When each registered facility becomes due: the one rule, shared by coverage, the
--   phase table, the laggard list and the reports, for "the facility is expected to deliver on
--   day D" (due_from <= D).
-- materialized: table
-- columns:
--   facility_code: Facility code (MA_CSKCB).
--   opened_date: Registry opening date; NULL when unknown (open since before the lake).
--   go_live_date: Registry go-live date (the day it must start sending); NULL when none is set.
--   due_from: First day the facility is expected to deliver: the later of go-live and opening;
--     NULL (never due) without a go-live date. Before it the reports say "Chưa đến hạn kết nối".

-- Phase deadlines do not make a facility due: a facility whose own go-live date lies after a
-- phase's deadline is "not yet due" for that phase until go-live, never "overdue".

with facilities as (

    select * from lake.facilities

),

final as (

    select
        facility_code,
        opened_date,
        go_live_date,
        case
            when go_live_date is not null
                then greatest(go_live_date, coalesce(opened_date, go_live_date))
        end as due_from
    from facilities

)

select * from final
