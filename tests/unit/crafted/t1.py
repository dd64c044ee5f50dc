from mk import *
A=b'\xaa'*8; B=b'\xbb'*8; Z=b'\0'*8
n1=nonce()
r1=ike(A,Z,INIT,I,0,[(SA,sa_body()),(KE,ke_body()),(NONCE,n1)])
c1=ike(A,Z,INIT,R,0,[(N,notify(16390,b'\x42'*16))])
r2=ike(A,Z,INIT,I,0,[(N,notify(16390,b'\x42'*16)),(SA,sa_body()),(KE,ke_body()),(NONCE,n1)])
s1=ike(A,B,INIT,R,0,[(SA,sa_body()),(KE,ke_body()),(NONCE,nonce())])
a1=ike(A,B,AUTH,I,1,[(SK,(35,b'\x00'*64))])
a2=ike(A,B,AUTH,R,1,[(SK,(36,b'\x00'*64))])
u=lambda s,d,sp,dp,x: ipv4(s,d,17,udp(sp,dp,x))
esp=lambda s,d: ipv4(s,d,50,b'\x01\x02\x03\x04'+b'\0'*40)
fr=[u(C,G,500,500,r1),u(C,G,500,500,r1),u(G,C,500,500,c1),u(C,G,500,500,r2),u(G,C,500,500,c1),u(G,C,500,500,s1),
    u(C,G,500,500,a1),u(G,C,500,500,a2),esp(C,G),esp(G,C)]
pcap('t1.pcap',fr)
