%% Bottleneck: 1,000 client processes each make 1,000 gen_server:calls to ONE server, then the
%% same load spread over a pool of servers (client I calls server I rem PoolSize).
%% BENCH_N is the number of calls in all (default 1,000,000).
-module(bottleneck).
-behaviour(gen_server).
-export([main/0, client/4]).
-export([init/1, handle_call/3, handle_cast/2]).

-define(CLIENTS, 1000).
-define(POOL, 10).

init(State) -> {ok, State}.
handle_call(N, _From, State) -> {reply, N, State}.
handle_cast(_Msg, State) -> {noreply, State}.

client(Main, _Server, 0, _I) -> Main ! done;
client(Main, Server, Left, I) ->
    I = gen_server:call(Server, I),
    client(Main, Server, Left - 1, I).

wait(0) -> ok;
wait(N) -> receive done -> wait(N - 1) end.

run(Servers, PerClient) ->
    Main = self(),
    Pool = list_to_tuple(Servers),
    T0 = bench_util:now_us(),
    [spawn(?MODULE, client, [Main, element(1 + I rem tuple_size(Pool), Pool), PerClient, I])
     || I <- lists:seq(0, ?CLIENTS - 1)],
    wait(?CLIENTS),
    ?CLIENTS * PerClient / ((bench_util:now_us() - T0) / 1000000).

start() -> {ok, S} = gen_server:start(?MODULE, [], []), S.

main() ->
    Calls = bench_util:env_int("BENCH_N", 1000000),
    PerClient = max(1, Calls div ?CLIENTS),
    %% Warm up with 10% of the load on a server of its own, untimed (as bottleneck.ts does).
    run([start()], max(1, PerClient div 10)),
    One = run([start()], PerClient),
    Pooled = run([start() || _ <- lists:seq(1, ?POOL)], PerClient),
    bench_util:print([{clients, ?CLIENTS}, {callsPerClient, PerClient}, {poolSize, ?POOL},
                      {oneCallsPerSec, One}, {poolCallsPerSec, Pooled},
                      {schedulers, bench_util:schedulers()}]).
