# Chart of a failover timeline written by the topology tests and by ./balance demo.
#   gnuplot -e "timeline='X.csv'; markers='X-events.gp'; out='X.png'; name='title'" infra/balance/timeline.gnuplot
set terminal pngcairo size 1100,760 font 'sans,10'
set output out
set datafile separator ','
set key outside right top
set grid ytics lc rgb '#dddddd'
set xlabel 'seconds'
load markers
set multiplot layout 3,1 title name

set title 'requests through nginx, per second, by outcome'
set ylabel 'req/s'
plot timeline using 1:2 with lines lw 2 lc rgb '#2a7ab0' title 'GET 200', \
     '' using 1:4 with lines lw 2 lc rgb '#3a9a3a' title 'POST 201', \
     '' using 1:3 with impulses lw 4 lc rgb '#d62728' title 'GET failed', \
     '' using 1:5 with impulses lw 4 lc rgb '#ff9900' title 'POST 503', \
     '' using 1:6 with impulses lw 4 lc rgb '#8c564b' title 'POST other error'

set title 'which instance served them (X-Served-By), per second'
plot timeline using 1:7 with lines lw 2 title 'users-backend-1', \
     '' using 1:8 with lines lw 2 title 'users-backend-2', \
     '' using 1:9 with lines lw 2 dt 3 title 'users-backend-3 (backup)'

set title 'reads served by the replica (share of /db probes)'
set ylabel '%'
set yrange [-5:105]
plot timeline using 1:10 with steps lw 2 lc rgb '#6a3d9a' title 'service-db-replica'
unset multiplot
