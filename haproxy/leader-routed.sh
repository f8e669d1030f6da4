#!/usr/bin/env bash
# Reads HAProxy's stats CSV (GET /;csv on the stats listener) on stdin; succeeds when the write port routes to a
# leader Patroni confirmed: a server UP after a passing check. Every server starts UP before its first check, so a
# bare UP right after HAProxy starts may still be the standby (writes would fail as read-only).
# Fields: 1 proxy, 2 server, 18 status, 37 check_status (HAProxy's management guide, "show stat").
awk -F, '$1 == "write" && $2 !~ /^(FRONTEND|BACKEND)$/ && $18 ~ /^UP/ && $37 ~ /^L7OK/ { leader = 1 }
         END { exit !leader }'
