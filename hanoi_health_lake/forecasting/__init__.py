"""Forecasts of count series (visits, cases) with the error each showed on its own history.

`engine` forecasts and backtests many series at once with statsforecast; `single` does one
series from a CSV file (`hhl forecast`); `simulated` makes years of daily counts with the
simulator's patterns; `marts` builds the forecast marts; `bench` is `hhl bench forecast`.
"""
