from mk import *
import struct
S='198.51.100.7'
def rec(t,b,ver=0x0303): return struct.pack('!BHH',t,ver,len(b))+b
def hs(t,b): return struct.pack('!B',t)+len(b).to_bytes(3,'big')+b
sni=b'vpn.example.net'
ext_sni=struct.pack('!HH',0,len(sni)+5)+struct.pack('!HBH',len(sni)+3,0,len(sni))+sni
ch=struct.pack('!H',0x0303)+b'\x01'*32+b'\x00'+struct.pack('!H',2)+b'\x13\x01'+b'\x01\x00'+struct.pack('!H',len(ext_sni))+ext_sni
ext_v=struct.pack('!HHH',43,2,0x0304)
sh=struct.pack('!H',0x0303)+b'\x02'*32+b'\x00'+b'\x13\x01'+b'\x00'+struct.pack('!H',len(ext_v))+ext_v
cs,ss=1000,5000
t=lambda s,d,sp,dp,seq,ack,fl,data=b'': ipv4(s,d,6,tcp(sp,dp,seq,ack,fl,data))
c_hello=rec(22,hs(1,ch))
s_flight=rec(22,hs(2,sh))+rec(20,b'\x01')+rec(23,b'\xee'*600)
c_fail=rec(20,b'\x01')+rec(23,b'\xdd'*19)   # encrypted alert (bad_certificate) in TLS 1.3
fr=[t(C,S,40000,443,cs,0,SYN), t(S,C,443,40000,ss,cs+1,SYN|ACK), t(C,S,40000,443,cs+1,ss+1,ACK),
    t(C,S,40000,443,cs+1,ss+1,ACK|PSH,c_hello),
    t(S,C,443,40000,ss+1,cs+1+len(c_hello),ACK|PSH,s_flight),
    t(C,S,40000,443,cs+1+len(c_hello),ss+1+len(s_flight),ACK|PSH,c_fail),
    t(C,S,40000,443,cs+1+len(c_hello)+len(c_fail),ss+1+len(s_flight),RST|ACK)]
pcap('t2.pcap',fr)
