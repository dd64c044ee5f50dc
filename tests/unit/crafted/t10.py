from mk import *
import struct
A=b'\xaa'*8; B=b'\xbb'*8; Z=b'\0'*8
r1=ike(A,Z,INIT,I,0,[(SA,sa_body()),(KE,ke_body()),(NONCE,nonce())])
s1=ike(A,B,INIT,R,0,[(SA,sa_body()),(KE,ke_body()),(NONCE,nonce()),(N,notify(16430))])
a1=ike(A,B,AUTH,I,1,[(SK,(35,b'\x00'*64))])
def skf(n,t,np=36): return ike(A,B,AUTH,R,1,[(SKF,(np if n==1 else 0,struct.pack('!HH',n,t)+b'\x00'*64))])
u=lambda s,d,sp,dp,x: ipv4(s,d,17,udp(sp,dp,x))
M=b'\0\0\0\0'
fr=[u(C,G,500,500,r1),u(G,C,500,500,s1),u(C,G,4500,4500,M+a1),u(G,C,4500,4500,M+skf(1,2)),u(G,C,4500,4500,M+skf(2,2)),u(G,C,4500,4500,M+skf(3,2))]
pcap('t10.pcap',fr)
