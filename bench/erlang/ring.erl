%% Ring: N processes in a ring pass a token; the token counts down the hops left.
%% Two shapes with the same number of hops: 10,000 processes x 100 laps and 100 x 10,000.
%% BENCH_N is the number of hops per shape (default 1,000,000). Only the passing is timed.
-module(ring).
-export([main/0, node/2, first/1]).

%% A ring member: forwards the token to Next; the last hop tells Main.
node(Next, Main) ->
    receive
        0 -> Main ! done, node(Next, Main);
        K when is_integer(K) -> Next ! K - 1, node(Next, Main);
        stop -> Next ! stop
    end.

%% The first member learns its successor once the ring is built.
first(Main) ->
    receive {next, Next} -> node(Next, Main) end.

build(First, _Main, 1) -> First;
build(Next, Main, I) -> build(spawn(?MODULE, node, [Next, Main]), Main, I - 1).

run(Size, Laps) ->
    Main = self(),
    T0 = bench_util:now_us(),
    First = spawn(?MODULE, first, [Main]),
    %% Built backwards: each new member forwards to the one spawned before it, the last to First.
    Second = build(First, Main, Size),
    First ! {next, Second},
    T1 = bench_util:now_us(),
    Hops = Size * Laps,
    First ! Hops,
    receive done -> ok end,
    T2 = bench_util:now_us(),
    First ! stop,
    {Hops, (T1 - T0) / 1000, Hops / ((T2 - T1) / 1000000)}.

main() ->
    Hops = bench_util:env_int("BENCH_N", 1000000),
    %% Warm up with a small ring, untimed (as ring.ts does).
    run(1000, 10),
    {H1, Setup1, Rate1} = run(10000, max(1, Hops div 10000)),
    {H2, Setup2, Rate2} = run(100, max(1, Hops div 100)),
    bench_util:print([{bigHops, H1}, {bigSetupMs, Setup1}, {bigHopsPerSec, Rate1},
                      {smallHops, H2}, {smallSetupMs, Setup2}, {smallHopsPerSec, Rate2},
                      {schedulers, bench_util:schedulers()}]).
