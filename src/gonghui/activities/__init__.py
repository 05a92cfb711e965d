"""One engine for every activity counted in 场次 and 人次, and the 5·1 service card's benefits."""
