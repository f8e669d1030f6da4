# Chart of ./balance soak (and SoakIT): the resources over time, from the table SoakReport writes.
#   gnuplot -e "data='soak-resources.csv'; markers='soak-events.gp'; out='soak.png'; name='title'; \
#       instances='users-backend-1 users-backend-2 users-backend-3'; nodes='service-db-1 service-db-2 service-db-replica'" \
#       infra/balance/soak.gnuplot
# Columns: 1 t_s, 2-4 requests/s (ok, 503, other), then 4 per instance (RSS MB, heap after GC MB, threads, open
# files), then the connections of each database node. NaN: a sample not taken (the node was down).
set terminal pngcairo size 1100,1500 font 'sans,10' noenhanced
set output out
set datafile separator ','
set key outside right top
set grid ytics lc rgb '#dddddd'
set xlabel 'seconds since the load started'
load markers
set multiplot layout 6,1 title name
n = words(instances)
first_node = n * 4 + 5

set title 'requests through nginx, per second, by answer'
set ylabel 'req/s'
plot data using 1:2 with lines lw 2 lc rgb '#2a7ab0' title '200/201', \
     '' using 1:3 with impulses lw 4 lc rgb '#ff9900' title '503', \
     '' using 1:4 with impulses lw 4 lc rgb '#d62728' title 'other'
unset label

set title 'resident set (RSS) of each instance'
set ylabel 'MB'
plot for [i=1:n] data using 1:(column(1 + 4*i)) with linespoints lw 2 pt 7 ps 0.5 title word(instances, i)

set title 'heap after a full GC (jvm_gc_live_data_size_bytes)'
set ylabel 'MB'
plot for [i=1:n] data using 1:(column(2 + 4*i)) with linespoints lw 2 pt 7 ps 0.5 title word(instances, i)

set title 'threads'
set ylabel 'threads'
plot for [i=1:n] data using 1:(column(3 + 4*i)) with linespoints lw 2 pt 7 ps 0.5 title word(instances, i)

set title 'open file descriptors'
set ylabel 'files'
plot for [i=1:n] data using 1:(column(4 + 4*i)) with linespoints lw 2 pt 7 ps 0.5 title word(instances, i)

set title 'PostgreSQL connections (pg_stat_activity)'
set ylabel 'connections'
plot for [i=1:words(nodes)] data using 1:(column(first_node + i - 1)) with linespoints lw 2 pt 7 ps 0.5 \
     title word(nodes, i)
unset multiplot
