-- The city plan's phase targets (seed phase_targets), typed.
select
    cast(phase as integer) as phase,
    name_vi,
    name_en,
    cast(deadline as date) as deadline,
    requirement,
    cast(min_share as double) as min_share,
    cast(max_lag_hours as double) as max_lag_hours
from phase_targets
order by phase
