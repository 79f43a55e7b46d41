-- Recent history and forecast of the city's new cases per notifiable disease group, from
-- mart_forecast_cases (built weekly by the forecast job).
select
    made_on, group_id, group_name_vi, target_date, step, row_kind, observed, forecast, lo_80,
    hi_80, method, backtest_mae, backtest_coverage_80, history_incomplete
from mart_forecast_cases
where series_level = 'city' and notifiable_class is not null
order by group_id, target_date
