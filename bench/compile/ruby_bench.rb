# ruby_bench.rb - the fixed CPU-bound program bench/compile/ruby_run.py
# times in CRuby compiled by kiln (issue #13: "the compiled Ruby still
# runs its benchmark within 5% of today's -O2 time").  Classic small
# benchmarks in one run: method calls and integer arithmetic (fib),
# strings and hashes (word counting), an array sort, blocks and floats
# (nbody-like loop).  Prints one line per part; the output is fixed, so
# every engine's is compared with the expected text.

def fib(n) = n < 2 ? n : fib(n - 1) + fib(n - 2)
puts "fib(25) = #{fib(25)}"

words = %w[alpha beta gamma delta epsilon zeta eta theta iota kappa]
counts = Hash.new(0)
60_000.times do |i|
  key = words[i % words.size] + (i % 97).to_s
  counts[key] += key.length
end
puts "hash: #{counts.size} keys, sum #{counts.values.sum}, max #{counts.max_by { |k, v| [v, k] }.join('=')}"

seed = 12_345
numbers = Array.new(100_000) { seed = (seed * 1_103_515_245 + 12_345) & 0x7fff_ffff }
sorted = numbers.sort
puts "sort: #{sorted[0]} #{sorted[50_000]} #{sorted[-1]} #{sorted.each_slice(1000).sum { |s| s[0] % 1000 }}"

x, v = 1.0, 0.0
200_000.times { v -= x * 0.001; x += v * 0.001 }
puts "oscillator: #{format('%.9f %.9f', x, v)}"
