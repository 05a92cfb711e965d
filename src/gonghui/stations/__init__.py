"""Service stations (驿站, 骑手之家, 妈咪暖心小屋, 职工书屋…): map, nearest search, visits, star review."""
