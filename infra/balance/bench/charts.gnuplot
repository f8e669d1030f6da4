# Charts of ./balance bench, from the tables the report writes (org.acme.balance.bench.BenchReport):
#   gnuplot -e "tables='docs/benchmarks'" infra/balance/bench/charts.gnuplot
# paths.tsv:  key <TAB> label <TAB> req/s <TAB> requests <TAB> errors <TAB> p50 <TAB> p99 <TAB> p99.9 <TAB> CPU ms/request
# warmup.tsv: seconds of load since the instances were ready <TAB> req/s of each JDK (a column each, "-": no run)
set datafile separator "\t"
set datafile missing "-"
set terminal pngcairo size 1000,520 font 'sans,10'
paths = tables.'/paths.tsv'
warmup = tables.'/warmup.tsv'

set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.8
set grid ytics lc rgb '#dddddd'
set xtics rotate by -20 left
set key top right

set output tables.'/throughput.png'
set title 'Throughput per path (steady, same concurrency)'
set ylabel 'requests/s'
set yrange [0:*]
plot paths using 3:xtic(2) lc rgb '#2a7ab0' notitle, \
     '' using 0:3:(sprintf('%.0f', $3)) with labels offset 0,0.8 notitle

set output tables.'/latency.png'
set title 'Latency per path (steady, same concurrency)'
set ylabel 'ms (log scale)'
set logscale y
set yrange [*:*]
plot paths using 6:xtic(2) lc rgb '#3a9a3a' title 'p50', \
     '' using 7 lc rgb '#ff9900' title 'p99', \
     '' using 8 lc rgb '#d62728' title 'p99.9'

set output tables.'/warmup.png'
unset logscale y
unset style
set style data linespoints
set xtics norotate
set title 'Full stack after the serving instances started: cold run, warm-up, steady runs'
set xlabel 'seconds of load since both instances were ready (end of each run)'
set ylabel 'requests/s'
set yrange [0:*]
set key top left
plot for [c=2:*] warmup using 1:c title columnheader(c) lw 2 pt 7
