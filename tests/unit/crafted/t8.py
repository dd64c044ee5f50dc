from mk import *
A=b'\xaa'*8; B=b'\xbb'*8; Z=b'\0'*8
r1=ike(A,Z,INIT,I,0,[(SA,sa_body()),(KE,ke_body(19)),(NONCE,nonce())])
c1=ike(A,Z,INIT,R,0,[(N,notify(17,b'\x00\x0e'))])
r2=ike(A,Z,INIT,I,0,[(SA,sa_body()),(KE,ke_body(14)+b'\x00'*480),(NONCE,nonce())])
u=lambda s,d,sp,dp,x: ipv4(s,d,17,udp(sp,dp,x))
fr=[u(C,G,500,500,r1),u(G,C,500,500,c1),u(C,G,500,500,r2),u(C,G,500,500,r2),u(C,G,500,500,r2)]
pcap('t8.pcap',fr)
