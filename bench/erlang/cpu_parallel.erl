%% CPU-bound work in parallel: 64 processes each compute, and main sums their answers.
%% Same work as bench/programs/cpu_parallel.ts: a Mandelbrot set of BENCH_N x BENCH_N points
%% (process P takes rows P, P + 64, ...) and fib(F) by plain recursion in each process. Timed
%% from the first spawn to the last answer. spawn/3 leaves placement to the BEAM (its schedulers
%% steal work from each other); the last round binds the processes round-robin with
%% erlang:spawn_opt/4's {scheduler, N} (undocumented, present in OTP 25), like Beamline's spawnOn.
-module(cpu_parallel).
-export([main/0, mandelbrot_worker/3, fib_worker/2]).

-define(PROCESSES, 64).
-define(MAX_ITERATIONS, 50).

mandelbrot_row(Y, Size) ->
    Ci = 2 * Y / Size - 1,
    columns(0, Size, Ci, 0).

columns(Size, Size, _Ci, Inside) -> Inside;
columns(X, Size, Ci, Inside) ->
    Cr = 2 * X / Size - 1.5,
    case iterate(0.0, 0.0, Cr, Ci, 0) of
        ?MAX_ITERATIONS -> columns(X + 1, Size, Ci, Inside + 1);
        _ -> columns(X + 1, Size, Ci, Inside)
    end.

iterate(_Zr, _Zi, _Cr, _Ci, ?MAX_ITERATIONS) -> ?MAX_ITERATIONS;
iterate(Zr, Zi, Cr, Ci, I) ->
    case Zr * Zr + Zi * Zi =< 4.0 of
        true -> iterate(Zr * Zr - Zi * Zi + Cr, 2 * Zr * Zi + Ci, Cr, Ci, I + 1);
        false -> I
    end.

fib(N) when N < 2 -> N;
fib(N) -> fib(N - 1) + fib(N - 2).

mandelbrot_worker(Parent, First, Size) ->
    Parent ! {answer, rows(First, Size, 0)}.

rows(Y, Size, Inside) when Y >= Size -> Inside;
rows(Y, Size, Inside) -> rows(Y + ?PROCESSES, Size, Inside + mandelbrot_row(Y, Size)).

fib_worker(Parent, N) ->
    Parent ! {answer, fib(N)}.

%% Starts the 64 workers (placed by the BEAM, or bound round-robin) and sums their answers.
round(Kind, Size, FibN, Placed) ->
    Me = self(),
    Count = erlang:system_info(schedulers_online),
    T0 = bench_util:now_us(),
    lists:foreach(
        fun(P) ->
            {F, A} =
                case Kind of
                    mandelbrot -> {mandelbrot_worker, [Me, P, Size]};
                    fib -> {fib_worker, [Me, FibN]}
                end,
            case Placed of
                true -> erlang:spawn_opt(?MODULE, F, A, [{scheduler, (P rem Count) + 1}]);
                false -> spawn(?MODULE, F, A)
            end
        end,
        lists:seq(0, ?PROCESSES - 1)),
    Sum = collect(?PROCESSES, 0),
    {(bench_util:now_us() - T0) / 1000, Sum}.

collect(0, Sum) -> Sum;
collect(N, Sum) -> receive {answer, X} -> collect(N - 1, Sum + X) end.

main() ->
    Size = bench_util:env_int("BENCH_N", 2048),
    FibN = 30 + floor(3 * math:log2(Size / 2048) + 0.5),
    round(mandelbrot, max(?PROCESSES, Size bsr 3), FibN - 6, true),
    round(fib, Size bsr 3, max(2, FibN - 6), true),
    {MandelbrotMs, Inside} = round(mandelbrot, Size, FibN, false),
    {FibMs, FibSum} = round(fib, Size, FibN, false),
    {PlacedMs, Inside} = round(mandelbrot, Size, FibN, true),
    bench_util:print([{processes, ?PROCESSES}, {size, Size}, {fibN, FibN}, {inside, Inside}, {fibSum, FibSum},
                      {mandelbrotMs, MandelbrotMs}, {fibMs, FibMs}, {mandelbrotSpawnOnMs, PlacedMs},
                      {schedulers, bench_util:schedulers()}]).
