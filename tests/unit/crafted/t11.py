from mk import *
A=b'\xaa'*8; B=b'\xbb'*8; Z=b'\0'*8
r1=ike(A,Z,INIT,I,0,[(SA,sa_body()),(KE,ke_body()),(NONCE,nonce())])
s1=udp(500,500,ike(A,B,INIT,R,0,[(SA,sa_body()),(KE,ke_body()+b'\x00'*2000),(NONCE,nonce())]))
u=lambda s,d,sp,dp,x: ipv4(s,d,17,udp(sp,dp,x))
fr=[]
for k in range(3):
    fr+=[u(C,G,500,500,r1), ipv4(G,C,17,s1[:1480],ident=0x2000+k,off=0,mf=True)]
pcap('t11.pcap',fr)
