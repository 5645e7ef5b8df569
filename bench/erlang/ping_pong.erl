%% Ping-pong: the round-trip time between two processes.
%% bareUs: Pid ! {self(), N} and a receive. callUs: gen_server:call to a gen_server.
%% refCallUs: the same call written by hand (make_ref, send, selective receive on the ref),
%% which is what Beamline's call does (bench/programs/ping_pong.ts).
-module(ping_pong).
-behaviour(gen_server).
-export([main/0]).
-export([init/1, handle_call/3, handle_cast/2]).

echo() ->
    receive {From, N} -> From ! N, echo() end.

bare(_E, _Me, 0) -> ok;
bare(E, Me, I) ->
    E ! {Me, I},
    receive _ -> ok end,
    bare(E, Me, I - 1).

init(State) -> {ok, State}.
handle_call(N, _From, State) -> {reply, N, State}.
handle_cast(_Msg, State) -> {noreply, State}.

gen_calls(_S, 0) -> ok;
gen_calls(S, I) ->
    I = gen_server:call(S, I),
    gen_calls(S, I - 1).

ref_server() ->
    receive {'$call', {From, Ref}, N} -> From ! {'$reply', Ref, N}, ref_server() end.

ref_call(S, Request) ->
    Ref = make_ref(),
    S ! {'$call', {self(), Ref}, Request},
    receive {'$reply', Ref, Reply} -> Reply after 5000 -> exit(timeout) end.

ref_calls(_S, 0) -> ok;
ref_calls(S, I) ->
    I = ref_call(S, I),
    ref_calls(S, I - 1).

time_us(Rounds, Fun) ->
    T0 = bench_util:now_us(),
    Fun(),
    (bench_util:now_us() - T0) / Rounds.

main() ->
    Rounds = bench_util:env_int("BENCH_N", 1000000),
    Me = self(),
    E = spawn(fun echo/0),
    bare(E, Me, 10000),
    BareUs = time_us(Rounds, fun() -> bare(E, Me, Rounds) end),
    {ok, S} = gen_server:start(?MODULE, [], []),
    gen_calls(S, 10000),
    CallUs = time_us(Rounds, fun() -> gen_calls(S, Rounds) end),
    R = spawn(fun ref_server/0),
    ref_calls(R, 10000),
    RefCallUs = time_us(Rounds, fun() -> ref_calls(R, Rounds) end),
    bench_util:print([{rounds, Rounds}, {bareUs, BareUs}, {callUs, CallUs}, {refCallUs, RefCallUs},
                      {schedulers, bench_util:schedulers()}]).
