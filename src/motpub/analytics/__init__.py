"""Analytics: scans, views and engagement beacons as they are recorded, their rollups,
and the reports of the ops dashboard and the API."""
