-- Recent history and forecast of daily encounters per facility type, from mart_forecast_visits
-- (built weekly by the forecast job).
select
    made_on, series_key, target_date, step, row_kind, observed, forecast, lo_80, hi_80, method,
    backtest_mae, backtest_coverage_80, history_incomplete
from mart_forecast_visits
where series_level = 'facility_type'
order by series_key, target_date
