from mk import *
import sys
A=b'\xaa'*8; B=b'\xbb'*8; Z=b'\0'*8
r1=ike(A,Z,INIT,I,0,[(SA,sa_body()),(KE,ke_body()),(NONCE,nonce())])
s1=ike(A,B,INIT,R,0,[(SA,sa_body()),(KE,ke_body()),(NONCE,nonce())])
a1=ike(A,B,AUTH,I,1,[(SK,(35,b'\x00'*64))])
u=lambda s,d,sp,dp,x: ipv4(s,d,17,udp(sp,dp,x))
big=udp(500,500,ike(A,B,AUTH,R,1,[(SK,(36,b'\x00'*2000))]))
first=ipv4(G,C,17,big[:1480],ident=0x1111,off=0,mf=True)
t0=1700000000.0
fr=[(t0,u(C,G,500,500,r1)),(t0+.1,u(G,C,500,500,s1)),(t0+.2,u(C,G,500,500,a1)),(t0+.3,first),(t0+1,u(C,G,500,500,a1)),(t0+3,u(C,G,500,500,a1))]
if len(sys.argv)>1:
    other=udp(5353,5353,b'\x00'*2000)
    fr+=[(t0+60,ipv4(G,C,17,other[:1480],ident=0x1111,off=0,mf=True)),(t0+60.01,ipv4(G,C,17,other[1480:],ident=0x1111,off=1480,mf=False))]
pcap(sys.argv[1] if len(sys.argv)>1 else 't6a.pcap',fr)
