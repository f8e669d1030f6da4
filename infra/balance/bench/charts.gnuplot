# Charts of ./balance bench: throughput and latency per path.
#   gnuplot -e "results='results.tsv'; outdir='docs/benchmarks'" infra/balance/bench/charts.gnuplot
# results.tsv: key <TAB> label <TAB> req/s <TAB> requests <TAB> errors <TAB> p50 <TAB> p99 <TAB> p99.9 <TAB> CPU ms/request
set datafile separator "\t"
set terminal pngcairo size 1000,520 font 'sans,10'
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.8
set grid ytics lc rgb '#dddddd'
set xtics rotate by -20 left
set key top right

set output outdir.'/throughput.png'
set title 'Throughput per path (steady, same concurrency)'
set ylabel 'requests/s'
set yrange [0:*]
plot results using 3:xtic(2) lc rgb '#2a7ab0' notitle, \
     '' using 0:3:(sprintf('%.0f', $3)) with labels offset 0,0.8 notitle

set output outdir.'/latency.png'
set title 'Latency per path (steady, same concurrency)'
set ylabel 'ms (log scale)'
set logscale y
set yrange [*:*]
plot results using 6:xtic(2) lc rgb '#3a9a3a' title 'p50', \
     '' using 7 lc rgb '#ff9900' title 'p99', \
     '' using 8 lc rgb '#d62728' title 'p99.9'
