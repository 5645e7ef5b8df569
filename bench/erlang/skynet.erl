%% Skynet: a tree of 1,000,000 leaf processes (10 children per level) that sums their numbers.
%% Same shape as bench/programs/skynet.ts: spawn/3 with arguments, parents sum with receive.
-module(skynet).
-export([main/0, skynet/4]).

skynet(Parent, Num, 1, _Div) ->
    Parent ! Num;
skynet(Parent, Num, Size, Div) ->
    Step = Size div Div,
    spawn_children(self(), Num, Step, Div, 0),
    Parent ! collect(Div, 0).

spawn_children(_Me, _Num, _Step, Div, Div) -> ok;
spawn_children(Me, Num, Step, Div, I) ->
    spawn(?MODULE, skynet, [Me, Num + I * Step, Step, Div]),
    spawn_children(Me, Num, Step, Div, I + 1).

collect(0, Sum) -> Sum;
collect(N, Sum) -> receive X -> collect(N - 1, Sum + X) end.

main() ->
    Size = bench_util:env_int("BENCH_N", 1000000),
    T0 = bench_util:now_us(),
    spawn(?MODULE, skynet, [self(), 0, Size, 10]),
    Sum = receive S -> S end,
    Ms = (bench_util:now_us() - T0) / 1000,
    bench_util:print([{leaves, Size}, {sum, Sum}, {ms, Ms}, {schedulers, bench_util:schedulers()}]).
