from mk import *
A=b'\xaa'*8; B=b'\xbb'*8; Z=b'\0'*8
r1=ike(A,Z,INIT,I,0,[(SA,sa_body()),(KE,ke_body()),(NONCE,nonce())])
s1=ike(A,B,INIT,R,0,[(SA,sa_body()),(KE,ke_body()),(NONCE,nonce())])
a1=ike(A,B,AUTH,I,1,[(SK,(35,b'\x00'*64))]); b1=ike(A,B,AUTH,R,1,[(SK,(36,b'\x00'*64))])
a2=ike(A,B,AUTH,I,2,[(SK,(48,b'\x00'*64))])
u=lambda s,d,sp,dp,x: ipv4(s,d,17,udp(sp,dp,x))
M=b'\0\0\0\0'
fr=[u(C,G,500,500,r1),u(G,C,500,500,s1),u(C,G,4500,4500,M+a1),u(G,C,4500,4500,M+b1),u(C,G,4500,4500,M+a2),u(C,G,4500,4500,M+a2),u(C,G,4500,4500,M+a2)]
pcap('t7.pcap',fr)
