from mk import *
import struct
exec(open('t9.py').read().split("fr=[")[0].split("from mk import *")[1])
S='203.0.113.9'
def rec(t,b,ver=0x0303): return struct.pack('!BHH',t,ver,len(b))+b
def hs(t,b): return struct.pack('!B',t)+len(b).to_bytes(3,'big')+b
ch=struct.pack('!H',0x0303)+b'\x01'*32+b'\x00'+struct.pack('!H',2)+b'\xc0\x2b'+b'\x01\x00'
t=lambda s,d,sp,dp,seq,ack,fl,data=b'': ipv4(s,d,6,tcp(sp,dp,seq,ack,fl,data))
c_hello=rec(22,hs(1,ch))
fr=[u(C,G,500,500,r1),u(G,C,500,500,s1),u(C,G,500,500,a1),u(G,C,500,500,b1),esp(C,G),esp(G,C),
    t(C,S,50000,443,1,0,SYN),t(S,C,443,50000,9,2,SYN|ACK),t(C,S,50000,443,2,10,ACK|PSH,c_hello),
    t(S,C,443,50000,10,2+len(c_hello),ACK|PSH,rec(21,b'\x02\x28'))]
pcap('t14.pcap',fr)
