-- Each facility's status against the phase targets (mart_phase_status, as of its own date), with
-- the target's minimum share from the seed.
select
    status.*,
    cast(targets.min_share as double) as min_share,
    cast(targets.max_lag_hours as double) as max_lag_hours
from mart_phase_status as status
left join phase_targets as targets on cast(targets.phase as integer) = status.phase
order by status.phase, status.facility_code
