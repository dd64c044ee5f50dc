from mk import *
import struct
S='198.51.100.7'
def rec(t,b,ver=0x0303): return struct.pack('!BHH',t,ver,len(b))+b
def hs(t,b): return struct.pack('!B',t)+len(b).to_bytes(3,'big')+b
ch=struct.pack('!H',0x0303)+b'\x01'*32+b'\x00'+struct.pack('!H',2)+b'\xc0\x2b'+b'\x01\x00'
sh=struct.pack('!H',0x0303)+b'\x02'*32+b'\x00'+b'\xc0\x2b'+b'\x00'
cs,ss=1000,5000
t=lambda s,d,sp,dp,seq,ack,fl,data=b'': ipv4(s,d,6,tcp(sp,dp,seq,ack,fl,data))
c_hello=rec(22,hs(1,ch))
s_flight=rec(22,hs(2,sh)+hs(11,b'\x00\x00\x00')+hs(14,b''))+rec(20,b'\x01')+rec(22,b'\x55'*40)
a,b=s_flight[:30],s_flight[30:]
c2=rec(20,b'\x01')+rec(22,b'\x66'*40)
cdata=rec(23,b'\x77'*100); sdata=rec(23,b'\x88'*100)
c0=cs+1; s0=ss+1
fr=[t(C,S,40000,443,cs,0,SYN), t(S,C,443,40000,ss,c0,SYN|ACK),
    t(C,S,40000,443,c0,s0,ACK|PSH,c_hello),
    t(S,C,443,40000,s0+len(a),c0+len(c_hello),ACK|PSH,b),   # second part first (first part lost, retransmitted)
    t(S,C,443,40000,s0,c0+len(c_hello),ACK|PSH,a),
    t(C,S,40000,443,c0+len(c_hello),s0+len(s_flight),ACK|PSH,c2+cdata),
    t(S,C,443,40000,s0+len(s_flight),c0+len(c_hello)+len(c2+cdata),ACK|PSH,sdata)]
pcap('t5.pcap',fr)
